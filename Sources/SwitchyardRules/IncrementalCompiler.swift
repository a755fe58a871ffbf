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
    /// One family's table each, as counted contributions.
    var tables: [TableRef: CountedTableState] = [:]
    /// False for modes that program from the plan (iptables, userspace): only the plan is kept, and
    /// ``apply(_:)`` returns an empty transaction.
    public let compilesRules: Bool

    /// The state for `plan` (with `compilesRules` false, the plan alone).
    public init(config: ProxyConfig, plan: ClusterPlan, compilesRules: Bool = true) {
        self.config = config
        self.plan = plan
        self.compilesRules = compilesRules
        guard compilesRules else { return }
        for family in IPFamily.allCases {
            let layout = FamilyLayout(family: family, node: plan.node, config: config)
            tables[layout.table] = CountedTableState(layout: layout)
        }
        var untracked: [TableRef: Touched]?
        for ports in plan.services.values {
            for (family, part) in Self.contributions(of: ports, node: plan.node, config: config) {
                tables[Self.table(family)]?.count(part, sign: 1, touched: &untracked)
            }
        }
        for table in tables.keys { tables[table]?.finishBuilding() }
    }

    /// The whole wanted ruleset (what `Compiler.compile(plan, config:)` returns).
    public func ruleset() -> Ruleset {
        var ruleset = Ruleset()
        for family in IPFamily.allCases { tables[Self.table(family)]?.add(into: &ruleset) }
        return ruleset
    }

    /// Applies re-planned Services and returns the transaction for exactly what changed. A full update
    /// (or a new node context) falls back to a full diff.
    public mutating func apply(_ update: PlanUpdate) -> Transaction {
        guard compilesRules else {
            plan.apply(update)
            return Transaction()
        }
        if update.isFull || update.node != plan.node {
            let before = ruleset()
            var next = plan
            next.apply(update)
            self = IncrementalCompiler(config: config, plan: next)
            return Differ.diff(from: before, to: ruleset())
        }
        var touched: [TableRef: Touched]? = [:]
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
                tables[Self.table(family)]?.count(removed, sign: -1, touched: &touched)
                tables[Self.table(family)]?.count(added, sign: 1, touched: &touched)
            }
        }
        plan.apply(update)
        let records = touched ?? [:]
        for (table, record) in records {
            for (set, keys) in record.elements { tables[table]?.touchedElementCounts[set] = keys.count }
        }
        return transaction(for: records)
    }

    static func table(_ family: IPFamily) -> TableRef { TableRef(Family(family), OwnedTables.name) }

    static func contributions(of ports: [ServicePortPlan], node: NodeContext, config: ProxyConfig) -> [IPFamily: Contribution] {
        var result: [IPFamily: Contribution] = [:]
        for port in ports { result[port.family, default: Contribution()].merge(Compiler.contribution(of: port, node: node, config: config)) }
        return result
    }

    // MARK: The update

    /// The update for what was touched. Element changes alone (endpoint changes, and Services added
    /// or removed whose table sizes other Services use too: the common cases) become element
    /// operations directly; anything else goes through two small rulesets holding only what was
    /// touched, before and after, and their diff.
    mutating func transaction(for touched: [TableRef: Touched]) -> Transaction {
        guard touched.allSatisfy({ table, record in tables[table].map(record.changesOnlyElements) ?? false }) else {
            return diffTouched(touched)
        }
        var steps = Differ.Steps()
        var base = Ruleset()
        for table in touched.keys.sorted() {
            guard let sets = touched[table]?.elements, let state = tables[table] else { continue }
            for set in sets.keys.sorted() {
                // The base knows only the touched sets: enough to check the elements, and not a copy
                // of the whole skeleton's set list per update.
                if let definition = state.skeleton.sets[set]?.definition { base.add(definition) }
                var removed: [Element] = []
                var added: [Element] = []
                let current = state.elements[set]
                for (key, before) in sets[set] ?? [:] {
                    let after = current?[key]
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
    mutating func diffTouched(_ touched: [TableRef: Touched]) -> Transaction {
        var before = Ruleset()
        var after = Ruleset()
        for table in touched.keys.sorted() {
            guard let changes = touched[table], var state = tables[table] else { continue }
            let layout = state.layout
            let oldTables = changes.dispatchTablesBefore(now: state.dispatchTables)
            let oldSkeleton = state.skeleton
            if oldTables != state.dispatchTables { state.skeleton = layout.skeleton(state.dispatchTables) }
            let newSkeleton = state.skeleton
            tables[table] = state
            before.add(oldSkeleton.table)
            after.add(newSkeleton.table)
            if oldTables != state.dispatchTables {
                // New or retired table sizes: the dispatch chains' rules and the modulus sets change.
                for name in FamilyLayout.dispatchChains {
                    if let chain = oldSkeleton.chains[name] { before.tables[table]?.chains[name] = chain }
                    if let chain = newSkeleton.chains[name] { after.tables[table]?.chains[name] = chain }
                }
                for set in layout.modulusSets(oldTables) { before.add(set) }
                for set in layout.modulusSets(state.dispatchTables) { after.add(set) }
            }
            for (name, old) in changes.affinity {
                if let old { before.add(layout.affinitySet(name, timeout: old)) }
                if let new = state.affinity[name] { after.add(layout.affinitySet(name, timeout: new)) }
            }
            for (name, old) in changes.chains {
                if let old {
                    before.add(Chain(table, name))
                    for rule in old { before.append(rule) }
                }
                if let new = state.chains[name] {
                    after.add(Chain(table, name))
                    for rule in new { after.append(rule) }
                }
            }
            for (set, keys) in changes.elements {
                if before.set(table, set) == nil, let definition = oldSkeleton.sets[set]?.definition { before.add(definition) }
                if after.set(table, set) == nil, let definition = newSkeleton.sets[set]?.definition { after.add(definition) }
                before.add(Elements(table, set, keys.values.compactMap { $0 }))
                after.add(Elements(table, set, keys.keys.compactMap { state.elements[set]?[$0] }))
            }
        }
        return Differ.diff(from: before, to: after)
    }
}

/// What a batch of changes touched in one table, with each object's value before the first change
/// (nil: it did not exist).
struct Touched {
    var elements: [String: [FieldTuple: Element?]] = [:]
    var dispatchTables: [DispatchTable: Void?] = [:]
    var chains: [String: [Rule]?] = [:]
    var affinity: [String: Int?] = [:]

    /// Whether the batch changed elements alone in `state`, the table now: every dispatch table it
    /// counted is in use as before, every chain and affinity set it touched is as it was (a Service
    /// added beside others of its size counts a table without changing what is in use).
    func changesOnlyElements(_ state: CountedTableState) -> Bool {
        for (table, before): (DispatchTable, Void?) in dispatchTables where (before != nil) != (state.dispatchTableCounts[table] != nil) {
            return false
        }
        for (name, before) in chains where before != state.chains[name] { return false }
        for (name, before) in affinity where before != state.affinity[name] { return false }
        return true
    }

    /// The dispatch tables in use before the batch, given those in use now.
    func dispatchTablesBefore(now: Set<DispatchTable>) -> Set<DispatchTable> {
        var tables = now
        for table in dispatchTables.keys {
            let wasInUse = dispatchTables[table].map { $0 != nil } ?? false
            if wasInUse { tables.insert(table) } else { tables.remove(table) }
        }
        return tables
    }
}

/// One family's table as the sum of the Services' contributions, each part counted, with the fixed
/// layout for the dispatch tables in use.
struct CountedTableState: Sendable {
    let layout: FamilyLayout
    var elements: [String: CountedElements] = [:]
    var dispatchTableCounts = CountedTable<DispatchTable, Void>()
    var chains = CountedTable<String, [Rule]>()
    var affinity = CountedTable<String, Int>()
    /// The fixed layout for ``dispatchTables``, rebuilt only when those change.
    var skeleton: Ruleset.TableState
    /// How many elements of each set the previous batch touched: the next batch's record for the set
    /// starts at that capacity (perf, churn at 10,000 × 100: growing those records by doubling,
    /// every element re-hashed each time, was 2.5% of the daemon's samples).
    var touchedElementCounts: [String: Int] = [:]

    init(layout: FamilyLayout) {
        self.layout = layout
        skeleton = layout.skeleton([])
    }

    var dispatchTables: Set<DispatchTable> { Set(dispatchTableCounts.keys) }

    /// Sizes the element storage and builds the skeleton, once the whole plan is counted in.
    mutating func finishBuilding() {
        for set in elements.keys { elements[set]?.shrinkToFit() }
        skeleton = layout.skeleton(dispatchTables)
    }

    /// Counts `part` in (`sign` 1) or out (-1). `touched` (nil: not tracked, as when the whole state is
    /// built at once) records each touched object's value before the first change.
    mutating func count(_ part: Contribution, sign: Int, touched: inout [TableRef: Touched]?) {
        let tracking = touched != nil
        // Records are taken out while they are written, so that no write copies them.
        var record = touched?.removeValue(forKey: layout.table) ?? Touched()
        for (set, list) in part.elements {
            var before: [FieldTuple: Element?]? = tracking
                ? (record.elements.removeValue(forKey: set) ?? Dictionary(minimumCapacity: touchedElementCounts[set] ?? 0)) : nil
            // Taken out once per set, not looked up by its name per element (a String hash each).
            var counted = elements.removeValue(forKey: set) ?? CountedElements()
            for element in list { counted.count(element.key, element, sign: sign, recordingInto: &before) }
            if !counted.isEmpty { elements[set] = counted }
            if let before { record.elements[set] = before }
        }
        var tablesBefore = tracking ? record.dispatchTables : nil
        var chainsBefore = tracking ? record.chains : nil
        var affinityBefore = tracking ? record.affinity : nil
        record.dispatchTables = [:]
        record.chains = [:]
        record.affinity = [:]
        for table in part.dispatchTables { dispatchTableCounts.count(table, (), sign: sign, recordingInto: &tablesBefore) }
        for (name, rules) in part.serviceChains { chains.count(name, rules, sign: sign, recordingInto: &chainsBefore) }
        for (name, timeout) in part.affinitySets { affinity.count(name, timeout, sign: sign, recordingInto: &affinityBefore) }
        guard tracking else { return }
        record.dispatchTables = tablesBefore ?? [:]
        record.chains = chainsBefore ?? [:]
        record.affinity = affinityBefore ?? [:]
        touched?[layout.table] = record
    }

    /// Adds the table (skeleton, affinity sets, per-service chains, elements) to `ruleset`.
    func add(into ruleset: inout Ruleset) {
        let table = layout.table
        ruleset.tables[table] = skeleton
        for (name, timeout) in affinity.contents { ruleset.add(layout.affinitySet(name, timeout: timeout)) }
        for (name, rules) in chains.contents {
            ruleset.add(Chain(table, name))
            for rule in rules { ruleset.append(rule) }
        }
        for (set, members) in elements { ruleset.add(Elements(table, set, members.elements.values)) }
    }
}
