/// Computes the one transaction that turns what the kernel has into what is wanted, at the kernel
/// level, so that a restart (or a periodic resync) adopts the programmed table instead of flushing
/// it: an unchanged cluster gives no operations at all, and drift (a deleted rule, a stray element)
/// is repaired with the few operations it takes.
public enum Reconciler {
    /// Sets wanted with more elements than this are not read back but rewritten whole (a flush and
    /// an add of every wanted element, in the same transaction, so packets see the old contents or
    /// the new). The kernel's set dump restarts its hash-table walk from the first element for every
    /// ~32 KiB reply, so reading n elements costs O(n²): 1M elements took 56 s of kernel time, where
    /// flushing and adding them all took 4.5 s (`nft`, kernel 6.18; docs/architecture.md).
    public static let readBackLimit = 65_536

    /// The names of the sets of `wanted` whose elements a reconciliation rewrites instead of reading.
    public static func setsToRewrite(_ wanted: KernelRuleset) -> Set<String> {
        Set(wanted.elements.lazy.filter { $0.value.count > readBackLimit }.map(\.key))
    }

    /// The operations, in an order the kernel accepts within one transaction: flushes and deletes
    /// first, then chains, sets, elements and rules.
    public static func operations(from current: KernelRuleset, to wanted: KernelRuleset) -> [KernelOperation] {
        let tableLabel = "\(wanted.family.name) \(wanted.table)"
        guard current.exists else { return build(wanted, tableLabel: tableLabel) }
        // A chain's hook or a set's definition cannot be changed in place; rebuild the table inside
        // the same transaction (atomic: packets see the old table or the new one).
        let incompatible = current.comment != wanted.comment
            || wanted.chains.contains { name, chain in current.chains[name].map { $0 != chain } ?? false }
            || wanted.sets.contains { name, set in current.sets[name].map { $0 != set } ?? false }
        if incompatible {
            return [KernelOperation(.deleteTable(current.family, current.table), label: "delete table \(tableLabel) (to rebuild it)")]
                + build(wanted, tableLabel: tableLabel)
        }

        var operations: [KernelOperation] = []
        let rewritten = wanted.chains.keys.filter { name in
            current.chains[name] != nil && !sameRules(current.rules[name] ?? [], wanted.rules[name] ?? [])
        }.sorted()
        let staleChains = current.chains.keys.filter { wanted.chains[$0] == nil }.sorted()
        let staleSets = current.sets.keys.filter { wanted.sets[$0] == nil }.sorted()
        for name in rewritten + staleChains {
            guard let chain = current.chains[name], !(current.rules[name] ?? []).isEmpty else { continue }
            operations.append(KernelOperation(.flushChain(chain), label: "flush chain \(tableLabel) \(name)"))
        }
        var additions: [KernelOperation] = []
        for name in wanted.sets.keys.sorted() {
            guard let set = wanted.sets[name], let existing = current.sets[name], !set.isDynamic else { continue }
            if current.unreadElements.contains(name) {
                let elements = wanted.elements[name] ?? []
                operations.append(KernelOperation(.flushSet(existing), label: "flush \(kind(set)) \(name) (rewritten whole, not read back)"))
                if !elements.isEmpty {
                    additions.append(KernelOperation(.addElements(set, elements, labels: labels(elements)), label: "add element to \(kind(set)) \(name)"))
                }
                continue
            }
            let (removed, added) = elementDifference(current.elements[name] ?? [], wanted.elements[name] ?? [])
            if !removed.isEmpty {
                operations.append(KernelOperation(.deleteElements(existing, removed, labels: labels(removed)), label: "delete element from \(kind(set)) \(name)"))
            }
            if !added.isEmpty {
                additions.append(KernelOperation(.addElements(set, added, labels: labels(added)), label: "add element to \(kind(set)) \(name)"))
            }
        }
        for name in staleSets {
            guard let set = current.sets[name] else { continue }
            operations.append(KernelOperation(.deleteSet(set), label: "delete \(kind(set)) \(tableLabel) \(name)"))
        }
        for name in staleChains {
            guard let chain = current.chains[name] else { continue }
            operations.append(KernelOperation(.deleteChain(chain), label: "delete chain \(tableLabel) \(name)"))
        }
        for name in wanted.chains.keys.sorted() where current.chains[name] == nil {
            guard let chain = wanted.chains[name] else { continue }
            operations.append(KernelOperation(.addChain(chain), label: "add chain \(tableLabel) \(name)"))
        }
        for name in wanted.sets.keys.sorted() where current.sets[name] == nil {
            guard let set = wanted.sets[name] else { continue }
            operations.append(KernelOperation(.addSet(set), label: "add \(kind(set)) \(tableLabel) \(name)"))
            let elements = wanted.elements[name] ?? []
            if !elements.isEmpty {
                additions.append(KernelOperation(.addElements(set, elements, labels: labels(elements)), label: "add element to \(kind(set)) \(name)"))
            }
        }
        operations += additions
        for name in (rewritten + wanted.chains.keys.filter { current.chains[$0] == nil }).sorted() {
            operations += addRules(wanted.rules[name] ?? [], tableLabel: tableLabel)
        }
        return operations
    }

    /// Everything in `wanted`, from nothing.
    static func build(_ wanted: KernelRuleset, tableLabel: String) -> [KernelOperation] {
        var operations = [KernelOperation(.addTable(wanted.family, wanted.table, comment: wanted.comment), label: "add table \(tableLabel)")]
        for name in wanted.chains.keys.sorted() {
            guard let chain = wanted.chains[name] else { continue }
            operations.append(KernelOperation(.addChain(chain), label: "add chain \(tableLabel) \(name)"))
        }
        for name in wanted.sets.keys.sorted() {
            guard let set = wanted.sets[name] else { continue }
            operations.append(KernelOperation(.addSet(set), label: "add \(kind(set)) \(tableLabel) \(name)"))
        }
        for name in wanted.sets.keys.sorted() {
            guard let set = wanted.sets[name], let elements = wanted.elements[name], !elements.isEmpty else { continue }
            operations.append(KernelOperation(.addElements(set, elements, labels: labels(elements)), label: "add element to \(kind(set)) \(name)"))
        }
        for name in wanted.chains.keys.sorted() {
            operations += addRules(wanted.rules[name] ?? [], tableLabel: tableLabel)
        }
        return operations
    }

    private static func addRules(_ rules: [KernelRule], tableLabel: String) -> [KernelOperation] {
        rules.enumerated().map { index, rule in
            var rule = rule
            rule.handle = nil
            return KernelOperation(.addRule(rule), label: "add rule \(index + 1) to chain \(tableLabel) \(rule.chain)" + (rule.comment.map { " (\($0))" } ?? ""))
        }
    }

    private static func sameRules(_ a: [KernelRule], _ b: [KernelRule]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.expressions == $1.expressions && $0.comment == $1.comment }
    }

    /// Elements to delete (absent or different in `wanted`) and to add (absent or different in `current`).
    private static func elementDifference(_ current: [KernelElement], _ wanted: [KernelElement]) -> (removed: [KernelElement], added: [KernelElement]) {
        var have: [[UInt8]: KernelElement.Value] = [:]
        have.reserveCapacity(current.count)
        for element in current { have[element.identity] = element.value }
        var want: [[UInt8]: KernelElement.Value] = [:]
        want.reserveCapacity(wanted.count)
        for element in wanted { want[element.identity] = element.value }
        let removed = current.filter { want[$0.identity] != $0.value }
            .map { KernelElement(key: $0.key, keyEnd: $0.keyEnd, flags: $0.flags) }
        let added = wanted.filter { have[$0.identity] != $0.value }
        return (removed, added)
    }

    private static func kind(_ set: KernelSet) -> String { set.dataType == nil ? "set" : "map" }

    private static func labels(_ elements: [KernelElement]) -> ElementLabels {
        ElementLabels(count: elements.count) { describe(elements[$0]) }
    }

    private static func describe(_ element: KernelElement) -> String {
        "key " + element.key.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
