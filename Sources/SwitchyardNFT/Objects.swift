/// Identifies a table: family and name (`ip switchyard`).
public struct TableRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var family: Family
    public var name: String

    public init(_ family: Family, _ name: String) {
        self.family = family
        self.name = name
    }

    public var description: String { "\(family.rawValue) \(name)" }

    public static func < (lhs: TableRef, rhs: TableRef) -> Bool { (lhs.family, lhs.name) < (rhs.family, rhs.name) }
}

/// A table.
public struct Table: Sendable, Hashable {
    public var ref: TableRef
    public var comment: String?

    public init(_ ref: TableRef, comment: String? = nil) {
        self.ref = ref
        self.comment = comment
    }
}

/// Netfilter hooks.
public enum Hook: String, Sendable, Hashable, CaseIterable {
    case prerouting, input, forward, output, postrouting
}

/// Base chain types.
public enum ChainType: String, Sendable, Hashable {
    case filter, nat, route

    /// Hooks this type may attach to (for the `ip`/`ip6`/`inet` families).
    var allowedHooks: Swift.Set<Hook> {
        switch self {
        case .filter: Swift.Set(Hook.allCases)
        case .nat: [.prerouting, .input, .output, .postrouting]
        case .route: [.output]
        }
    }
}

/// A chain priority: a symbolic base (`dstnat`, `srcnat`, …) plus an offset, as nft writes it.
public struct Priority: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// nft's symbolic priorities for the ip/ip6/inet families.
    public enum Base: String, Sendable, Hashable {
        case raw, mangle, dstnat, filter, security, srcnat
        /// A plain number, no symbol.
        case number

        public var value: Int {
            switch self {
            case .raw: -300
            case .mangle: -150
            case .dstnat: -100
            case .filter: 0
            case .security: 50
            case .srcnat: 100
            case .number: 0
            }
        }
    }

    public var base: Base
    public var offset: Int

    public init(_ base: Base, _ offset: Int = 0) {
        self.base = base
        self.offset = offset
    }

    public static let dstnat = Priority(.dstnat)
    public static let srcnat = Priority(.srcnat)
    public static let filter = Priority(.filter)

    /// The numeric priority; lower runs first.
    public var value: Int { base.value + offset }

    public var description: String {
        if base == .number { return String(offset) }
        if offset == 0 { return base.rawValue }
        return offset > 0 ? "\(base.rawValue) + \(offset)" : "\(base.rawValue) - \(-offset)"
    }

    /// The text nft 1.0.6 takes for this priority on `hook`: it knows `dstnat` only on prerouting and
    /// `srcnat` only on postrouting, so elsewhere the number is written.
    public func text(for hook: Hook) -> String {
        switch (base, hook) {
        case (.dstnat, .prerouting), (.srcnat, .postrouting), (.raw, _), (.mangle, _), (.filter, _), (.security, _), (.number, _):
            return description
        default:
            return String(value)
        }
    }

    public static func + (lhs: Priority, rhs: Int) -> Priority { Priority(lhs.base, lhs.offset + rhs) }
    public static func - (lhs: Priority, rhs: Int) -> Priority { Priority(lhs.base, lhs.offset - rhs) }
    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.value < rhs.value }
}

/// What makes a chain a base chain: type, hook, priority and policy.
public struct BaseChainSpec: Sendable, Hashable {
    public var type: ChainType
    public var hook: Hook
    public var priority: Priority
    /// `accept` or `drop`.
    public var policy: Verdict

    public init(type: ChainType, hook: Hook, priority: Priority, policy: Verdict = .accept) {
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
    }
}

/// A chain: a regular chain (reached by jump/goto/vmap) or a base chain attached to a hook.
public struct Chain: Sendable, Hashable {
    public var table: TableRef
    public var name: String
    public var base: BaseChainSpec?
    public var comment: String?

    public init(_ table: TableRef, _ name: String, base: BaseChainSpec? = nil, comment: String? = nil) {
        self.table = table
        self.name = name
        self.base = base
        self.comment = comment
    }
}

/// A rule: ordered statements plus an optional comment. `handle` names an existing rule for
/// replace/delete (and insert-before); the fake assigns handles when rules are added.
public struct Rule: Sendable, Hashable {
    public var table: TableRef
    public var chain: String
    public var statements: [Statement]
    public var comment: String?
    public var handle: Int?

    public init(_ table: TableRef, _ chain: String, _ statements: [Statement], comment: String? = nil, handle: Int? = nil) {
        self.table = table
        self.chain = chain
        self.statements = statements
        self.comment = comment
        self.handle = handle
    }

    /// The rule's text after the chain name: statements and comment.
    public var body: String {
        var text = statements.map { $0.render(in: table.family) }.joined(separator: " ")
        if let comment { text += " comment \"\(comment)\"" }
        return text
    }

    /// Same statements and comment, ignoring the handle.
    public func sameContent(as other: Rule) -> Bool { statements == other.statements && comment == other.comment }
}

/// A set's key or a map's data: `type a . b` or `typeof EXPR . EXPR` (needed for keys holding `numgen`).
public enum KeySpec: Sendable, Hashable, CustomStringConvertible {
    case types([DataType])
    case typeOf([Expression])

    /// The number of concatenated fields.
    public var arity: Int {
        switch self {
        case .types(let types): types.count
        case .typeOf(let expressions): expressions.count
        }
    }

    var keyword: String { if case .types = self { "type" } else { "typeof" } }

    public var description: String {
        switch self {
        case .types(let types): types.map(\.rawValue).joined(separator: " . ")
        case .typeOf(let expressions): expressions.map(\.description).joined(separator: " . ")
        }
    }
}

/// What a map maps to.
public enum MapData: Sendable, Hashable {
    case verdict
    case data(KeySpec)
}

/// Set flags.
public enum SetFlag: String, Sendable, Hashable, Comparable, CaseIterable {
    case constant, interval, timeout, dynamic
    public static func < (lhs: SetFlag, rhs: SetFlag) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// A named set (`data == nil`) or map. (Not called `Set`, to leave Swift's `Set` unshadowed.)
public struct NamedSet: Sendable, Hashable {
    public var table: TableRef
    public var name: String
    public var key: KeySpec
    /// nil for a set; the data type for a map.
    public var data: MapData?
    public var flags: [SetFlag]
    /// Default element timeout in seconds.
    public var timeout: Int?
    public var comment: String?

    public init(_ table: TableRef, _ name: String, key: KeySpec, data: MapData? = nil, flags: [SetFlag] = [],
                timeout: Int? = nil, comment: String? = nil) {
        self.table = table
        self.name = name
        self.key = key
        self.data = data
        self.flags = flags.sorted()
        self.timeout = timeout
        self.comment = comment
    }

    public var isMap: Bool { data != nil }
    /// `set` or `map`, as nft spells it.
    public var kind: String { isMap ? "map" : "set" }

    /// The declaration body: `type … [: …]; flags …; timeout …;`.
    public var declaration: String {
        var text = "\(key.keyword) \(key)"
        switch data {
        case nil: break
        case .verdict: text += " : verdict"
        case .data(let spec): text += " : \(spec)"
        }
        text += ";"
        if !flags.isEmpty { text += " flags " + flags.map(\.rawValue).joined(separator: ",") + ";" }
        if let timeout { text += " timeout \(timeout)s;" }
        if let comment { text += " comment \"\(comment)\";" }
        return text
    }
}

/// A map element's value.
public enum ElementData: Sendable, Hashable, CustomStringConvertible {
    case verdict(Verdict)
    case values(FieldTuple)

    public var description: String {
        switch self {
        case .verdict(let verdict): verdict.description
        case .values(let values): values.map(\.description).joined(separator: " . ")
        }
    }

    var arity: Int { if case .values(let values) = self { values.count } else { 1 } }

    /// Data fields that did not fit a ``FieldTuple``.
    var isTruncated: Bool { if case .values(let values) = self { values.isTruncated } else { false } }
}

/// A set or map element: key fields, optional data, optional timeout in seconds.
public struct Element: Sendable, Hashable, CustomStringConvertible {
    public var key: FieldTuple
    public var data: ElementData?
    /// The timeout and comment, which Switchyard's own elements never carry, behind one reference:
    /// 120 bytes an element instead of 144 (the compiler keeps one per set element).
    private var annotations: Annotations?

    public var timeout: Int? {
        get { annotations?.timeout }
        set { annotations = Annotations(timeout: newValue, comment: comment) }
    }

    public var comment: String? {
        get { annotations?.comment }
        set { annotations = Annotations(timeout: timeout, comment: newValue) }
    }

    public init(_ key: FieldTuple, _ data: ElementData? = nil, timeout: Int? = nil, comment: String? = nil) {
        self.key = key
        self.data = data
        self.annotations = Annotations(timeout: timeout, comment: comment)
    }

    /// An element's rarely set fields, compared by value.
    private final class Annotations: Sendable, Hashable {
        let timeout: Int?
        let comment: String?

        /// Nil when neither is set: no allocation for the usual element.
        init?(timeout: Int?, comment: String?) {
            if timeout == nil && comment == nil { return nil }
            self.timeout = timeout
            self.comment = comment
        }

        static func == (lhs: Annotations, rhs: Annotations) -> Bool {
            lhs.timeout == rhs.timeout && lhs.comment == rhs.comment
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(timeout)
            hasher.combine(comment)
        }
    }

    /// An element whose key fields are given as an array.
    public init(_ key: [Value], _ data: ElementData? = nil, timeout: Int? = nil, comment: String? = nil) {
        self.init(FieldTuple(key), data, timeout: timeout, comment: comment)
    }

    /// `key [timeout Ns] [comment "…"] [: data]`.
    public var description: String {
        var text = ""
        write(to: &text)
        return text
    }

    /// Appends ``description`` to `text`.
    public func write(to text: inout String) {
        key.write(to: &text)
        if let timeout { text += " timeout \(timeout)s" }
        if let comment { text += " comment \"\(comment)\"" }
        switch data {
        case nil: break
        case .values(let values)?:
            text += " : "
            values.write(to: &text)
        case .verdict(let verdict)?:
            text += " : "
            text += verdict.description
        }
    }

    /// The key only, as a delete needs it.
    public var keyOnly: Element { Element(key) }

    /// `elements` in key order. Sorts positions, not the ~200-byte elements. A set's keys share one
    /// shape (field kinds) but in interval sets, where prefix lengths differ; then they compare as
    /// plain words.
    public static func sortedByKey(_ elements: some Collection<Element>) -> [Element] {
        let unsorted = Array(elements)
        guard unsorted.count > 1 else { return unsorted }
        var order = Array(unsorted.indices)
        unsorted.withUnsafeBufferPointer { buffer in
            let first = buffer[0].key
            if buffer.allSatisfy({ $0.key.hasSameShape(as: first) }) {
                order.sort { buffer[$0].key.precedesSameShape(buffer[$1].key) }
            } else {
                order.sort { buffer[$0].key < buffer[$1].key }
            }
        }
        return order.map { unsorted[$0] }
    }
}

/// A batch of elements of one set or map.
public struct Elements: Sendable, Hashable {
    public var table: TableRef
    public var set: String
    public var elements: [Element]

    public init(_ table: TableRef, _ set: String, _ elements: [Element]) {
        self.table = table
        self.set = set
        self.elements = elements
    }
}
