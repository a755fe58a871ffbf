import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT

/// Keeps what was compiled between syncs, so that re-planned Services cost O(their size), not
/// O(cluster): each Service's contribution (elements, per-service chains, affinity sets, table
/// sizes) is reference-counted, and `apply` diffs only what the changed Services touched.
///
/// ```
/// var rules = IncrementalCompiler(config: config, plan: Planner.plan(snapshot: s, config: config))
/// commit(Differ.diff(from: Ruleset(), to: rules.ruleset()))        // first (full) sync
/// commit(rules.apply(Planner.plan(changes: c, snapshot: s2, config: config)))   // later syncs
/// ```
public struct IncrementalCompiler: Sendable {
    public let config: ProxyConfig
    /// The plan the current state was compiled from.
    public private(set) var plan: ClusterPlan

    struct Counted<Value: Sendable & Hashable>: Sendable, Hashable {
        var value: Value
        var count: Int
    }

    var elements: [TableRef: [String: CountedElements]] = [:]
    var moduli: [TableRef: [DispatchNames: [Int: Int]]] = [:]
    var chains: [TableRef: [String: Counted<[Rule]>]] = [:]
    var affinity: [TableRef: [String: Counted<Int>]] = [:]
    /// The fixed layout of each table for the current table sizes, rebuilt only when those change.
    var skeletons: [TableRef: Ruleset.TableState] = [:]

    /// The state for `plan`.
    public init(config: ProxyConfig, plan: ClusterPlan) {
        self.config = config
        self.plan = plan
        var untracked: Touched?
        for ports in plan.services.values {
            for (family, part) in Self.contributions(of: ports, node: plan.node, config: config) {
                add(part, family, sign: 1, touched: &untracked)
            }
        }
        for table in elements.keys {
            for set in elements[table, default: [:]].keys { elements[table]?[set]?.shrinkToFit() }
        }
        for family in IPFamily.allCases {
            let table = Self.table(family)
            skeletons[table] = skeleton(table, moduli: liveModuli(table))
        }
    }

    func skeleton(_ table: TableRef, moduli: [DispatchNames: Swift.Set<Int>]) -> Ruleset.TableState {
        var ruleset = Ruleset()
        Compiler.skeleton(family: table.family == .ip ? .ipv4 : .ipv6, node: plan.node, config: config, moduli: moduli, into: &ruleset)
        return ruleset.tables[table] ?? Ruleset.TableState(table: Table(table))
    }

    /// The whole wanted ruleset (what `Compiler.compile(plan, config:)` returns).
    public func ruleset() -> Ruleset {
        var ruleset = Ruleset()
        for family in IPFamily.allCases {
            let table = Self.table(family)
            ruleset.tables[table] = skeletons[table] ?? skeleton(table, moduli: liveModuli(table))
            let addressType: DataType = family == .ipv4 ? .ipv4Address : .ipv6Address
            for (name, timeout) in affinity[table] ?? [:] {
                ruleset.add(NamedSet(table, name, key: .types([addressType]), flags: [.dynamic, .timeout], timeout: timeout.value))
            }
            for (name, rules) in chains[table] ?? [:] {
                ruleset.add(Chain(table, name))
                for rule in rules.value { ruleset.append(rule) }
            }
            for (set, members) in elements[table] ?? [:] {
                ruleset.add(Elements(table, set, members.elements.values))
            }
        }
        return ruleset
    }

    /// Applies re-planned Services and returns the transaction for exactly what changed. A full update
    /// (or a new node context) falls back to a full diff.
    public mutating func apply(_ update: PlanUpdate) -> Transaction {
        if update.isFull || update.node != plan.node {
            let before = ruleset()
            var next = plan
            next.apply(update)
            self = IncrementalCompiler(config: config, plan: next)
            return Differ.diff(from: before, to: ruleset())
        }
        var touched: Touched? = Touched()
        for (key, ports) in update.services {
            // A Service's contribution is recompiled from its previous plan rather than kept: at
            // 10,000 Services the kept copies held 25 MB (heaptrack) for a few µs per change.
            let old = Self.contributions(of: plan.services[key] ?? [], node: plan.node, config: config)
            let new = Self.contributions(of: ports, node: plan.node, config: config)
            guard old != new else { continue }
            // Only what differs is counted out and in: an endpoint change keeps the ClusterIP, the
            // table size and most slots, and touching them would cost as much as the change itself.
            for family in Swift.Set(old.keys).union(new.keys).sorted() {
                let (removed, added) = Contribution.changes(from: old[family] ?? Contribution(), to: new[family] ?? Contribution())
                add(removed, family, sign: -1, touched: &touched)
                add(added, family, sign: 1, touched: &touched)
            }
        }
        plan.apply(update)
        return transaction(for: touched ?? Touched())
    }

    // MARK: Bookkeeping

    /// What a batch of changes touched, with the values before the first change.
    struct Touched {
        var elements: [TableRef: [String: [FieldTuple: Element?]]] = [:]
        var moduli: [TableRef: [DispatchNames: Swift.Set<Int>]] = [:]
        var chains: [TableRef: [String: [Rule]?]] = [:]
        var affinity: [TableRef: [String: Int?]] = [:]

        var tables: Swift.Set<TableRef> {
            Swift.Set(elements.keys).union(moduli.keys).union(chains.keys).union(affinity.keys)
        }
    }

    static func table(_ family: IPFamily) -> TableRef { TableRef(Family(family), OwnedTables.name) }

    static func contributions(of ports: [ServicePortPlan], node: NodeContext, config: ProxyConfig) -> [IPFamily: Contribution] {
        var result: [IPFamily: Contribution] = [:]
        for port in ports { result[port.family, default: Contribution()].merge(Compiler.contribution(of: port, node: node, config: config)) }
        return result
    }

    func liveModuli(_ table: TableRef) -> [DispatchNames: Swift.Set<Int>] {
        (moduli[table] ?? [:]).mapValues { Swift.Set($0.filter { $0.value > 0 }.keys) }.filter { !$0.value.isEmpty }
    }

    /// Counts `part` in (`sign` 1) or out (-1). `touched` (nil: not tracked, as when the whole state
    /// is built at once) records each touched object's value before the first change.
    mutating func add(_ part: Contribution, _ family: IPFamily, sign: Int, touched: inout Touched?) {
        let table = Self.table(family)
        for (set, list) in part.elements {
            if touched != nil {
                for element in list where touched?.elements[table]?[set]?[element.key] == nil {
                    touched?.elements[table, default: [:]][set, default: [:]][element.key] = .some(elements[table]?[set]?[element.key]?.value)
                }
            }
            if sign > 0, elements[table]?[set] == nil { elements[table, default: [:]][set] = CountedElements() }
            for element in list { elements[table]?[set]?.count(element, sign: sign) }
            if elements[table]?[set]?.isEmpty == true { elements[table]?[set] = nil }
        }
        if !part.moduli.isEmpty, touched != nil, touched?.moduli[table] == nil { touched?.moduli[table] = liveModuli(table) }
        for (names, sizes) in part.moduli {
            for size in sizes { moduli[table, default: [:]][names, default: [:]][size, default: 0] += sign }
        }
        for (name, rules) in part.serviceChains {
            let current = chains[table]?[name]
            if touched != nil, touched?.chains[table]?[name] == nil { touched?.chains[table, default: [:]][name] = .some(current?.value) }
            let count = (current?.count ?? 0) + sign
            chains[table, default: [:]][name] = count <= 0 ? nil : Counted(value: sign > 0 ? rules : (current?.value ?? rules), count: count)
        }
        for (name, timeout) in part.affinitySets {
            let current = affinity[table]?[name]
            if touched != nil, touched?.affinity[table]?[name] == nil { touched?.affinity[table, default: [:]][name] = .some(current?.value) }
            let count = (current?.count ?? 0) + sign
            affinity[table, default: [:]][name] = count <= 0 ? nil : Counted(value: sign > 0 ? timeout : (current?.value ?? timeout), count: count)
        }
    }

    /// The update for what was touched. Element changes alone (an endpoint change, the common case)
    /// become element operations directly; anything else goes through two small rulesets holding only
    /// what was touched, before and after, and their diff.
    mutating func transaction(for touched: Touched) -> Transaction {
        guard touched.moduli.isEmpty, touched.chains.isEmpty, touched.affinity.isEmpty else { return diffTouched(touched) }
        return elementTransaction(touched)
    }

    /// Element deletes then adds, sets in name order, elements in key order: what ``Differ`` emits for
    /// element-only differences (through the same steps), without building rulesets to diff.
    func elementTransaction(_ touched: Touched) -> Transaction {
        var steps = Differ.Steps()
        var base = Ruleset()
        for table in touched.elements.keys.sorted() {
            guard let sets = touched.elements[table] else { continue }
            for set in sets.keys.sorted() {
                // The base knows only the touched sets: enough to check the elements, and not a copy
                // of the whole skeleton's set list per update.
                if let definition = skeletons[table]?.sets[set]?.definition { base.add(definition) }
                var removed: [Element] = []
                var added: [Element] = []
                for (key, before) in sets[set] ?? [:] {
                    let after = elements[table]?[set]?[key]?.value
                    if before == after { continue }
                    if let before { removed.append(before.keyOnly) }
                    if let after { added.append(after) }
                }
                steps.elementChanges(table, set, removed: removed, added: added)
            }
        }
        return steps.transaction(base: base)
    }

    /// Two small rulesets holding only what was touched, before and after; their diff is the update.
    mutating func diffTouched(_ touched: Touched) -> Transaction {
        var before = Ruleset()
        var after = Ruleset()
        for table in touched.tables.sorted() {
            let family: IPFamily = table.family == .ip ? .ipv4 : .ipv6
            let addressType: DataType = family == .ipv4 ? .ipv4Address : .ipv6Address
            let oldModuli = touched.moduli[table] ?? liveModuli(table)
            let newModuli = liveModuli(table)
            let oldTable = skeletons[table] ?? skeleton(table, moduli: oldModuli)
            var newTable = oldTable
            if oldModuli != newModuli {
                newTable = skeleton(table, moduli: newModuli)
                skeletons[table] = newTable
            }
            before.add(oldTable.table)
            after.add(newTable.table)
            if oldModuli != newModuli {
                // New or retired table sizes: the dispatch chains' rules and the modulus sets change.
                for name in [Layout.servicesChain] + FrontendKind.allCases.map({ DispatchNames(kind: $0, view: .shortcut).dispatchChain }) {
                    if let chain = oldTable.chains[name] { before.tables[table]?.chains[name] = chain }
                    if let chain = newTable.chains[name] { after.tables[table]?.chains[name] = chain }
                }
                for (name, set) in oldTable.sets where name.contains("-mod-") { before.add(set.definition) }
                for (name, set) in newTable.sets where name.contains("-mod-") { after.add(set.definition) }
            }
            for (name, old) in touched.affinity[table] ?? [:] {
                if let old { before.add(NamedSet(table, name, key: .types([addressType]), flags: [.dynamic, .timeout], timeout: old)) }
                if let new = affinity[table]?[name] {
                    after.add(NamedSet(table, name, key: .types([addressType]), flags: [.dynamic, .timeout], timeout: new.value))
                }
            }
            for (name, old) in touched.chains[table] ?? [:] {
                if let old {
                    before.add(Chain(table, name))
                    for rule in old { before.append(rule) }
                }
                if let new = chains[table]?[name] {
                    after.add(Chain(table, name))
                    for rule in new.value { after.append(rule) }
                }
            }
            for (set, keys) in touched.elements[table] ?? [:] {
                if before.set(table, set) == nil, let definition = oldTable.sets[set]?.definition { before.add(definition) }
                if after.set(table, set) == nil, let definition = newTable.sets[set]?.definition { after.add(definition) }
                before.add(Elements(table, set, keys.values.compactMap { $0 }))
                after.add(Elements(table, set, keys.keys.compactMap { elements[table]?[set]?[$0]?.value }))
            }
        }
        return Differ.diff(from: before, to: after)
    }
}
