import SwitchyardNFT

/// The minimal transaction from one ruleset to another: element changes for sets and maps, rule lists
/// rewritten (flush + add) only for chains whose rules changed, objects added or deleted by name.
/// Elements of dynamic sets (affinity) belong to the kernel and are never diffed.
public enum Differ {
    /// What turns `old` into `new`. A full sync is `diff(from: Ruleset(), to: wanted)`.
    public static func diff(from old: Ruleset, to new: Ruleset) -> Transaction {
        var plan = Steps()
        for ref in Swift.Set(old.tables.keys).union(new.tables.keys).sorted() {
            plan.table(ref, old.tables[ref], new.tables[ref])
        }
        return plan.transaction(base: old)
    }

    /// Operations grouped by phase so that references are always satisfied:
    /// objects are created before use and deleted after their last user is gone.
    struct Steps {
        var addTables: [Operation] = []
        var addChains: [Operation] = []
        var addSets: [Operation] = []
        var flushChains: [Operation] = []
        var recreateDeletes: [Operation] = []
        var recreateAdds: [Operation] = []
        var deleteElements: [Operation] = []
        var addElements: [Operation] = []
        var addRules: [Operation] = []
        var deleteChains: [Operation] = []
        var deleteSets: [Operation] = []
        var deleteTables: [Operation] = []

        mutating func table(_ ref: TableRef, _ old: Ruleset.TableState?, _ new: Ruleset.TableState?) {
            guard let new else {
                if let old { deleteTables.append(Operation(.delete, .table(old.table))) }
                return
            }
            if old == nil { addTables.append(Operation(.add, .table(new.table))) }
            let oldChains = old?.chains ?? [:]
            let oldSets = old?.sets ?? [:]

            // Sets and maps: new ones, changed definitions (recreated, with their users' rules rewritten),
            // element differences.
            var recreated = Swift.Set<String>()
            for name in new.sets.keys.sorted() {
                guard let wanted = new.sets[name] else { continue }
                let dynamic = wanted.definition.flags.contains(.dynamic)
                if let present = oldSets[name], present.definition == wanted.definition {
                    if !dynamic { elements(present, wanted) }
                } else {
                    if let present = oldSets[name] {
                        recreated.insert(name)
                        recreateDeletes.append(Operation(.delete, .set(present.definition)))
                        recreateAdds.append(Operation(.add, .set(wanted.definition)))
                    } else {
                        addSets.append(Operation(.add, .set(wanted.definition)))
                    }
                    if !dynamic, !wanted.elements.isEmpty {
                        addElements.append(Operation(.add, .elements(Elements(ref, name, wanted.sortedElements))))
                    }
                }
            }
            for name in oldSets.keys.sorted() where new.sets[name] == nil {
                if let present = oldSets[name] { deleteSets.append(Operation(.delete, .set(present.definition))) }
            }

            // Chains: new ones, changed rule lists, removed ones.
            for name in new.chains.keys.sorted() {
                guard let wanted = new.chains[name] else { continue }
                let present = oldChains[name]
                if present == nil || present?.definition != wanted.definition {
                    addChains.append(Operation(.add, .chain(wanted.definition)))
                }
                let usesRecreated = present?.rules.contains { rule in rule.statements.contains { !Swift.Set($0.referencedSets).isDisjoint(with: recreated) } } ?? false
                let same = !usesRecreated
                    && (present.map { $0.rules.count == wanted.rules.count && zip($0.rules, wanted.rules).allSatisfy { $0.sameContent(as: $1) } } ?? false)
                if !same {
                    if let present, !present.rules.isEmpty { flushChains.append(Operation(.flush, .chain(present.definition))) }
                    for rule in wanted.rules {
                        var fresh = rule
                        fresh.handle = nil
                        addRules.append(Operation(.add, .rule(fresh)))
                    }
                }
            }
            for name in oldChains.keys.sorted() where new.chains[name] == nil {
                guard let present = oldChains[name] else { continue }
                if !present.rules.isEmpty { flushChains.append(Operation(.flush, .chain(present.definition))) }
                deleteChains.append(Operation(.delete, .chain(present.definition)))
            }
        }

        mutating func elements(_ old: Ruleset.SetState, _ new: Ruleset.SetState) {
            var removed: [Element] = []
            var added: [Element] = []
            for element in old.elements.values {
                if let wanted = new.elements[element.key] {
                    if wanted != element { removed.append(element.keyOnly); added.append(wanted) }
                } else {
                    removed.append(element.keyOnly)
                }
            }
            for element in new.elements.values where old.elements[element.key] == nil { added.append(element) }
            elementChanges(new.definition.table, new.definition.name, removed: removed, added: added)
        }

        /// Queues the deletes (keys only) and adds of one set, each in key order.
        mutating func elementChanges(_ table: TableRef, _ set: String, removed: [Element], added: [Element]) {
            if !removed.isEmpty { deleteElements.append(Operation(.delete, .elements(Elements(table, set, Element.sortedByKey(removed))))) }
            if !added.isEmpty { addElements.append(Operation(.add, .elements(Elements(table, set, Element.sortedByKey(added))))) }
        }

        func transaction(base: Ruleset) -> Transaction {
            var transaction = Transaction(base: base)
            let ordered = addTables + addChains + addSets + flushChains + recreateDeletes + recreateAdds + deleteElements + addElements + addRules
                + deleteChains + deleteSets + deleteTables
            for operation in ordered {
                // Every operation comes from a valid ruleset; a refusal here is a compiler bug. It is
                // kept in the transaction (knftables' sticky error), which no backend commits: the
                // sync fails loudly and the next one is full — in release builds too.
                do {
                    switch operation.verb {
                    case .add: try transaction.add(operation.object)
                    case .delete: try transaction.delete(operation.object)
                    case .flush: try transaction.flush(operation.object)
                    default: break
                    }
                } catch {
                    transaction.refuse(operation, because: error)
                }
            }
            return transaction
        }
    }
}

extension Statement {
    /// Named sets and maps the statement refers to.
    var referencedSets: [String] {
        switch self {
        case .lookup(_, let set, _), .verdictMap(_, let set), .dnat(.map(_, let set), _), .setUpdate(_, let set, _, _, _): [set]
        default: []
        }
    }
}
