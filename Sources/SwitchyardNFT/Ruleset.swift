/// A whole nftables state: tables with their chains (and rules), sets and maps (and elements).
/// The fake keeps one as its kernel state; the rules compiler builds one as the wanted state; the
/// differ turns two into a `Transaction`.
public struct Ruleset: Sendable, Hashable {
    /// One table's contents.
    public struct TableState: Sendable, Hashable {
        public var table: Table
        public var chains: [String: ChainState] = [:]
        public var sets: [String: SetState] = [:]
        /// Next rule handle (the fake numbers rules per table, as the kernel does).
        public var nextHandle = 1

        public init(table: Table) { self.table = table }
    }

    /// A chain and its rules in order.
    public struct ChainState: Sendable, Hashable {
        public var definition: Chain
        public var rules: [Rule] = []

        public init(definition: Chain, rules: [Rule] = []) {
            self.definition = definition
            self.rules = rules
        }
    }

    /// A set or map and its elements by key.
    public struct SetState: Sendable, Hashable {
        public var definition: NamedSet
        public var elements = SetElements()
        /// Absolute expiry (trace clock seconds) of elements added with a timeout from the packet path.
        public var expiry: [FieldTuple: Double] = [:]

        public init(definition: NamedSet) { self.definition = definition }

        /// Elements in key order.
        public var sortedElements: [Element] { elements.sorted }
    }

    public var tables: [TableRef: TableState] = [:]

    public init() {}

    // MARK: Building a wanted state (used by compilers; no errors, last write wins)

    /// Adds the table if absent.
    public mutating func add(_ table: Table) {
        if tables[table.ref] == nil { tables[table.ref] = TableState(table: table) }
    }

    /// Adds (or redefines) a chain, creating its table if needed.
    public mutating func add(_ chain: Chain) {
        add(Table(chain.table))
        if tables[chain.table]?.chains[chain.name] == nil {
            tables[chain.table]?.chains[chain.name] = ChainState(definition: chain)
        } else {
            tables[chain.table]?.chains[chain.name]?.definition = chain
        }
    }

    /// Appends a rule to its chain, creating the chain if needed.
    public mutating func append(_ rule: Rule) {
        if tables[rule.table]?.chains[rule.chain] == nil { add(Chain(rule.table, rule.chain)) }
        tables[rule.table]?.chains[rule.chain]?.rules.append(rule)
    }

    /// Adds (or redefines) a set or map.
    public mutating func add(_ set: NamedSet) {
        add(Table(set.table))
        if tables[set.table]?.sets[set.name] == nil {
            tables[set.table]?.sets[set.name] = SetState(definition: set)
        } else {
            tables[set.table]?.sets[set.name]?.definition = set
        }
    }

    /// Adds elements to an existing set or map (ignored if the set is missing).
    public mutating func add(_ batch: Elements) {
        guard !batch.elements.isEmpty, var table = tables[batch.table], var set = table.sets[batch.set] else { return }
        // Take the set out so that it is uniquely referenced while it grows (no copy-on-write per element).
        tables[batch.table] = nil
        table.sets[batch.set] = nil
        set.elements.insert(contentsOf: batch.elements)
        table.sets[batch.set] = set
        tables[batch.table] = table
    }

    /// The chain named `name` in `table`.
    public func chain(_ table: TableRef, _ name: String) -> ChainState? { tables[table]?.chains[name] }
    /// The set or map named `name` in `table`.
    public func set(_ table: TableRef, _ name: String) -> SetState? { tables[table]?.sets[name] }

    /// Every table in `nft list table` layout, tables in family/name order.
    public func listing() -> String {
        tables.keys.sorted().compactMap { tables[$0] }.map(NFTText.listing).joined()
    }

    /// Total number of set and map elements.
    public var elementCount: Int { tables.values.reduce(0) { $0 + $1.sets.values.reduce(0) { $0 + $1.elements.count } } }
    /// Total number of rules.
    public var ruleCount: Int { tables.values.reduce(0) { $0 + $1.chains.values.reduce(0) { $0 + $1.rules.count } } }
}
