import Yams

/// One document of a manifest file, as a generic tree.
struct ParsedDocument {
    /// 1-based position in the file.
    var index: Int
    var value: APIValue
}

/// Splits a YAML (or JSON) text into documents and turns each into an `APIValue`.
enum YAMLDocuments {
    struct SyntaxError: Error {
        var line: Int?
        var column: Int?
        var message: String
    }

    /// How many nodes a text may expand to: four per byte of text plus a margin. Without aliases a
    /// YAML text cannot have more nodes than bytes; aliases repeat nodes without repeating text, and
    /// nested ones multiply (a 495-byte "billion laughs" file expanded to 10^8 nodes, 22 s and
    /// 3.4 GB, before this budget).
    static func nodeBudget(forBytes count: Int) -> Int { 4 * count + 10_000 }

    /// Aliases expanded past ``nodeBudget(forBytes:)``.
    struct BudgetExceeded: Error {}

    /// All documents, and the syntax error that stopped parsing, if any. Empty documents (only
    /// comments, or a trailing `---`) are dropped but keep their place in the numbering.
    static func parse(_ text: String) -> (documents: [ParsedDocument], error: SyntaxError?) {
        var documents: [ParsedDocument] = []
        let budgetLimit = nodeBudget(forBytes: text.utf8.count)
        var budget = budgetLimit
        do {
            var sequence = try Yams.compose_all(yaml: text, Resolver.basic)
            var index = 0
            while let node = sequence.next() {
                index += 1
                let value: APIValue
                do {
                    value = try convert(node, budget: &budget)
                } catch {
                    return (documents, SyntaxError(message: "document \(index): YAML aliases expand to more than \(budgetLimit) nodes "
                        + "(\(text.utf8.count) bytes of text; an alias bomb?); the file is not loaded"))
                }
                if value != .null { documents.append(ParsedDocument(index: index, value: value)) }
            }
            if let error = sequence.error { return (documents, syntaxError(error)) }
        } catch {
            return (documents, syntaxError(error))
        }
        return (documents, nil)
    }

    private static func syntaxError(_ error: any Error) -> SyntaxError {
        guard let yaml = error as? YamlError else {
            return SyntaxError(message: "YAML syntax error: \(error)")
        }
        switch yaml {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let contextText = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return SyntaxError(line: mark.line, column: mark.column, message: "YAML syntax error: \(problem)\(contextText)")
        case .reader(let problem, _, _, _):
            return SyntaxError(message: "cannot read the text: \(problem)")
        default:
            return SyntaxError(message: "YAML syntax error: \(yaml)")
        }
    }

    /// Plain scalars are typed as YAML 1.1 (as Kubernetes' go-yaml reads them): null, booleans
    /// (`true`, `yes`, `on`, …), integers (decimal, `0x`, `0o`/leading-zero octal, `0b`) and floats;
    /// quoted and block scalars stay strings. Done here rather than by Yams' regular-expression
    /// resolver, which dominated the load time of large manifests.
    static func convert(_ node: Node, budget: inout Int) throws(BudgetExceeded) -> APIValue {
        budget -= 1
        guard budget >= 0 else { throw BudgetExceeded() }
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any,
                  scalar.tag.description != Tag.Name.str.rawValue  // explicit `!!str`
            else { return .string(scalar.string) }
            return PlainScalar.value(scalar.string)
        case .mapping(let mapping):
            var pairs: [(key: String, value: APIValue)] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping { pairs.append((key: key.string ?? "\(key)", value: try convert(value, budget: &budget))) }
            return .object(pairs)
        case .sequence(let sequence):
            var items: [APIValue] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item, budget: &budget)) }
            return .array(items)
        case .alias:
            return .null
        }
    }
}
