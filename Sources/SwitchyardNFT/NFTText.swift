/// `nft -f` text for operations, and `nft list`-style text for a ruleset.
enum NFTText {
    static func line(for operation: Operation) -> String {
        let verb = operation.verb.rawValue
        switch operation.object {
        case .table(let table):
            var text = "\(verb) table \(table.ref)"
            if operation.verb == .add || operation.verb == .create, let comment = table.comment { text += " { comment \"\(comment)\"; }" }
            return text
        case .chain(let chain):
            var text = "\(verb) chain \(chain.table) \(chain.name)"
            if operation.verb == .add || operation.verb == .create {
                var parts: [String] = []
                if let base = chain.base { parts.append(baseLine(base)) }
                if let comment = chain.comment { parts.append("comment \"\(comment)\";") }
                if !parts.isEmpty { text += " { " + parts.joined(separator: " ") + " }" }
            }
            return text
        case .rule(let rule):
            let head = "\(verb) rule \(rule.table) \(rule.chain)"
            switch operation.verb {
            case .delete: return head + " handle \(rule.handle ?? 0)"
            case .replace: return head + " handle \(rule.handle ?? 0) " + rule.body
            case .insert: return head + (rule.handle.map { " handle \($0)" } ?? "") + " " + rule.body
            default: return head + " " + rule.body
            }
        case .set(let set):
            var text = "\(verb) \(set.kind) \(set.table) \(set.name)"
            if operation.verb == .add || operation.verb == .create { text += " { \(set.declaration) }" }
            return text
        case .elements(let batch):
            // One string grown in place: a full sync's batches hold 100k elements.
            var text = "\(verb) element \(batch.table) \(batch.set) { "
            text.reserveCapacity(text.utf8.count + batch.elements.count * 48)
            for index in batch.elements.indices {
                if index > 0 { text += ", " }
                if operation.verb == .delete { batch.elements[index].key.write(to: &text) } else { batch.elements[index].write(to: &text) }
            }
            return text + " }"
        }
    }

    static func baseLine(_ base: BaseChainSpec) -> String {
        "type \(base.type.rawValue) hook \(base.hook.rawValue) priority \(base.priority.text(for: base.hook)); policy \(base.policy);"
    }

    /// One table in `nft list table` layout: sets and maps by name, then chains by name.
    static func listing(_ table: Ruleset.TableState) -> String {
        var blocks: [String] = []
        for name in table.sets.keys.sorted() {
            guard let set = table.sets[name] else { continue }
            let definition = set.definition
            var lines = ["\t\(definition.kind) \(name) {"]
            var typeLine = "\t\t\(definition.key.keyword) \(definition.key)"
            switch definition.data {
            case nil: break
            case .verdict: typeLine += " : verdict"
            case .data(let spec): typeLine += " : \(spec)"
            }
            lines.append(typeLine)
            if !definition.flags.isEmpty { lines.append("\t\tflags " + definition.flags.map(\.rawValue).joined(separator: ",")) }
            if let timeout = definition.timeout { lines.append("\t\ttimeout \(timeout)s") }
            if let comment = definition.comment { lines.append("\t\tcomment \"\(comment)\"") }
            let elements = set.sortedElements
            if !elements.isEmpty {
                lines.append("\t\telements = { " + elements.map(\.description).joined(separator: ",\n\t\t\t     ") + " }")
            }
            lines.append("\t}")
            blocks.append(lines.joined(separator: "\n"))
        }
        for name in table.chains.keys.sorted() {
            guard let chain = table.chains[name] else { continue }
            var lines = ["\tchain \(name) {"]
            if let comment = chain.definition.comment { lines.append("\t\tcomment \"\(comment)\"") }
            if let base = chain.definition.base { lines.append("\t\t" + baseLine(base)) }
            for rule in chain.rules { lines.append("\t\t" + rule.body) }
            lines.append("\t}")
            blocks.append(lines.joined(separator: "\n"))
        }
        var header = "table \(table.table.ref) {\n"
        if let comment = table.table.comment { header += "\tcomment \"\(comment)\"\n" }
        return header + blocks.joined(separator: "\n\n") + (blocks.isEmpty ? "" : "\n") + "}\n"
    }
}
