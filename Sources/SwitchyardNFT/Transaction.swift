/// The six nouns a transaction operates on.
public enum Object: Sendable, Hashable {
    case table(Table)
    case chain(Chain)
    case rule(Rule)
    /// A set or a map.
    case set(NamedSet)
    case elements(Elements)

    /// The table the object lives in (or is).
    public var table: TableRef {
        switch self {
        case .table(let table): table.ref
        case .chain(let chain): chain.table
        case .rule(let rule): rule.table
        case .set(let set): set.table
        case .elements(let elements): elements.table
        }
    }

    /// `chain ip switchyard services`-style identity, for error messages.
    public var identity: String {
        switch self {
        case .table(let table): "table \(table.ref)"
        case .chain(let chain): "chain \(chain.table) \(chain.name)"
        case .rule(let rule): "rule \(rule.table) \(rule.chain)" + (rule.handle.map { " handle \($0)" } ?? "")
        case .set(let set): "\(set.kind) \(set.table) \(set.name)"
        case .elements(let elements): "element \(elements.table) \(elements.set)"
        }
    }
}

/// The six verbs.
public enum Verb: String, Sendable, Hashable {
    /// Create if absent (no error if present); append for rules.
    case add
    /// Create; fail with EEXIST if present.
    case create
    /// Prepend a rule (before `handle` if given).
    case insert
    /// Replace the rule with `handle`.
    case replace
    /// Remove; fail with ENOENT if absent.
    case delete
    /// Empty a table's chains, a chain's rules or a set's elements.
    case flush
}

/// One queued operation.
public struct Operation: Sendable, Hashable, CustomStringConvertible {
    public var verb: Verb
    public var object: Object

    public init(_ verb: Verb, _ object: Object) {
        self.verb = verb
        self.object = object
    }

    /// The `nft -f` line of this operation.
    public var description: String { NFTText.line(for: self) }
}

/// Why an operation was refused when queued.
public enum TransactionError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidName(object: String, name: String, reason: String)
    case invalidComment(object: String, reason: String)
    case unsupportedVerb(Verb, object: String)
    case missingHandle(Verb, object: String)
    case familyMismatch(object: String, table: Family, expression: Family)
    case keyArityMismatch(set: String, expected: Int, found: Int, element: String)
    case mapDataMismatch(set: String, element: String, reason: String)
    case invalidBaseChain(chain: String, reason: String)
    case invalidExpression(object: String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let object, let name, let reason): "\(object): invalid name \"\(name)\": \(reason)"
        case .invalidComment(let object, let reason): "\(object): invalid comment: \(reason)"
        case .unsupportedVerb(let verb, let object): "\(object): \(verb.rawValue) is not supported"
        case .missingHandle(let verb, let object): "\(object): \(verb.rawValue) needs a rule handle"
        case .familyMismatch(let object, let table, let expression):
            "\(object): \(expression.rawValue) expression in a \(table.rawValue) table"
        case .keyArityMismatch(let set, let expected, let found, let element):
            "set \(set): element \(element) has \(found) key fields, the set's key has \(expected)"
        case .mapDataMismatch(let set, let element, let reason): "set \(set): element \(element): \(reason)"
        case .invalidBaseChain(let chain, let reason): "chain \(chain): \(reason)"
        case .invalidExpression(let object, let reason): "\(object): \(reason)"
        }
    }
}

/// A transaction some of whose operations were refused while it was built: committing it would
/// program something other than what was computed.
public struct InvalidTransaction: Error, Sendable, Hashable, CustomStringConvertible {
    public var refusals: [Transaction.Refusal]
    public var description: String {
        "refusing to commit a transaction with \(refusals.count) invalid operation(s) (a compiler bug; the next sync is full): "
            + refusals.prefix(5).map(\.description).joined(separator: "; ")
    }
}

/// An ordered list of operations applied atomically (all or nothing), in the knftables spirit.
/// Invalid input is refused when queued, with a `TransactionError` naming the object.
public struct Transaction: Sendable, Hashable {
    /// The operations, in order.
    public private(set) var operations: [Operation] = []
    /// The definitions of the sets and maps this transaction's elements refer to: declared in it, or
    /// taken from the base ruleset. They make the transaction self-contained: elements are checked
    /// against them when queued and encoded with them when lowered, so no copy of the programmed
    /// ruleset is needed beside it.
    private var knownSets: [SetKey: NamedSet] = [:]

    /// Longest name the kernel takes (NFT_NAME_MAXLEN 256 includes the terminating NUL; 256 characters fail).
    public static let maxNameLength = 255
    /// Longest comment nft takes.
    public static let maxCommentLength = 128

    struct SetKey: Hashable { var table: TableRef; var name: String }

    /// An empty transaction; element arity is checked against sets declared in it.
    public init() {}

    /// An empty transaction that also knows the sets of `base` (what is already programmed).
    public init(base: Ruleset) {
        for (ref, table) in base.tables {
            for (name, set) in table.sets { knownSets[SetKey(table: ref, name: name)] = set.definition }
        }
    }

    /// Makes `definitions` known, as if they were in a base ruleset (for element operations on sets
    /// this transaction does not declare).
    public init(knowing definitions: some Sequence<NamedSet>) {
        for set in definitions { knownSets[SetKey(table: set.table, name: set.name)] = set }
    }

    /// The definition of set or map `name` in `table` that this transaction's element operations
    /// use: the last one declared in it, else the base's; nil when unknown.
    public func setDefinition(_ table: TableRef, _ name: String) -> NamedSet? {
        knownSets[SetKey(table: table, name: name)]
    }

    /// Operations a builder tried to queue and the checks refused, with why (sticky: once set, the
    /// transaction must not be committed; every backend refuses it with these).
    public private(set) var refusals: [Refusal] = []

    /// An operation that could not be queued.
    public struct Refusal: Sendable, Hashable, CustomStringConvertible {
        public var operation: String
        public var error: TransactionError
        public var description: String { "\(operation): \(error)" }
    }

    /// Records that `operation` could not be queued (it is left out; the transaction is now invalid).
    public mutating func refuse(_ operation: Operation, because error: TransactionError) {
        refusals.append(Refusal(operation: operation.description, error: error))
    }

    /// Throws ``InvalidTransaction`` when any operation was refused.
    public func checkCommittable() throws(InvalidTransaction) {
        if !refusals.isEmpty { throw InvalidTransaction(refusals: refusals) }
    }

    public var isEmpty: Bool { operations.isEmpty }
    public var count: Int { operations.count }

    /// Queues `add` (create if absent; append for rules).
    public mutating func add(_ object: Object) throws(TransactionError) { try queue(.add, object) }
    /// Queues `create` (EEXIST if present). Not valid for rules.
    public mutating func create(_ object: Object) throws(TransactionError) { try queue(.create, object) }
    /// Queues `insert` of a rule (prepend, or before `rule.handle`).
    public mutating func insert(_ rule: Rule) throws(TransactionError) { try queue(.insert, .rule(rule)) }
    /// Queues `replace` of the rule with `rule.handle`.
    public mutating func replace(_ rule: Rule) throws(TransactionError) { try queue(.replace, .rule(rule)) }
    /// Queues `delete`. Rules need a handle; elements need only keys.
    public mutating func delete(_ object: Object) throws(TransactionError) { try queue(.delete, object) }
    /// Queues `flush` of a table, chain, set or map.
    public mutating func flush(_ object: Object) throws(TransactionError) { try queue(.flush, object) }

    /// Appends another transaction's operations.
    public mutating func append(contentsOf other: Transaction) {
        operations += other.operations
        refusals += other.refusals
        knownSets.merge(other.knownSets) { _, new in new }
    }

    /// The `nft -f` text: one operation per line.
    public func render() -> String {
        operations.map { NFTText.line(for: $0) + "\n" }.joined()
    }

    // MARK: Validation

    private mutating func queue(_ verb: Verb, _ object: Object) throws(TransactionError) {
        try validate(verb, object)
        if case .set(let set) = object {
            let key = SetKey(table: set.table, name: set.name)
            // A deleted set keeps its definition: a later element operation on it is the kernel's to refuse.
            if verb != .delete { knownSets[key] = set }
        }
        operations.append(Operation(verb, object))
    }

    private func validate(_ verb: Verb, _ object: Object) throws(TransactionError) {
        let identity = object.identity
        try Self.checkName(object.table.name, object: identity)
        let allowed: [Verb]
        switch object {
        case .table, .chain, .set: allowed = [.add, .create, .delete, .flush]
        case .rule: allowed = [.add, .insert, .replace, .delete]
        case .elements: allowed = [.add, .create, .delete]
        }
        guard allowed.contains(verb) else { throw .unsupportedVerb(verb, object: identity) }
        switch object {
        case .table(let table):
            try Self.checkComment(table.comment, object: identity)
        case .chain(let chain):
            try Self.checkName(chain.name, object: identity)
            try Self.checkComment(chain.comment, object: identity)
            if let base = chain.base {
                guard base.type.allowedHooks.contains(base.hook) else {
                    throw .invalidBaseChain(chain: chain.name, reason: "type \(base.type.rawValue) cannot hook \(base.hook.rawValue)")
                }
                guard base.policy == .accept || base.policy == .drop else {
                    throw .invalidBaseChain(chain: chain.name, reason: "policy must be accept or drop")
                }
            }
        case .rule(let rule):
            try Self.checkName(rule.chain, object: identity)
            try Self.checkComment(rule.comment, object: identity)
            if (verb == .replace || verb == .delete), rule.handle == nil { throw .missingHandle(verb, object: identity) }
            if verb != .delete { try Self.checkRule(rule, object: identity) }
        case .set(let set):
            try Self.checkName(set.name, object: identity)
            try Self.checkComment(set.comment, object: identity)
            guard set.key.arity > 0 else { throw .invalidExpression(object: identity, reason: "empty key") }
            for expression in Self.typeExpressions(set) {
                for family in expression.requiredFamilies where !Self.compatible(family, with: set.table.family) {
                    throw .familyMismatch(object: identity, table: set.table.family, expression: family)
                }
            }
        case .elements(let batch):
            try Self.checkName(batch.set, object: identity)
            guard !batch.elements.isEmpty else { throw .invalidExpression(object: identity, reason: "no elements") }
            // Elements are read in place (indices, not copies): a full sync queues 100k of them.
            let elements = batch.elements
            for position in elements.indices {
                if elements[position].key.isTruncated || elements[position].data?.isTruncated == true {
                    throw .invalidExpression(object: identity, reason: "element \(elements[position]) has more than \(FieldTuple.capacity) fields or a string over 16 bytes")
                }
                if let family = elements[position].key.addressFamily(incompatibleWith: batch.table.family) {
                    throw .familyMismatch(object: identity, table: batch.table.family, expression: family)
                }
            }
            guard let signature = knownSets[SetKey(table: batch.table, name: batch.set)] else { break }
            let arity = signature.key.arity
            for position in elements.indices {
                guard elements[position].key.count == arity else {
                    let element = elements[position]
                    throw .keyArityMismatch(set: batch.set, expected: arity, found: element.key.count, element: element.description)
                }
                if verb == .delete { continue }
                let label = { elements[position].description }
                switch (signature.data, elements[position].data) {
                case (nil, nil), (.verdict, .verdict?): break
                case (.data(let spec), .values(let values)?):
                    guard values.count == spec.arity else {
                        throw .mapDataMismatch(set: batch.set, element: label(), reason: "data has \(values.count) fields, the map's \(spec.arity)")
                    }
                case (nil, _?): throw .mapDataMismatch(set: batch.set, element: label(), reason: "a set element carries no data")
                case (_?, nil): throw .mapDataMismatch(set: batch.set, element: label(), reason: "a map element needs data")
                default: throw .mapDataMismatch(set: batch.set, element: label(), reason: "verdict and data mixed")
                }
            }
        }
    }

    private static func typeExpressions(_ set: NamedSet) -> [Expression] {
        var out: [Expression] = []
        if case .typeOf(let keys) = set.key { out += keys }
        if case .data(.typeOf(let data))? = set.data { out += data }
        return out
    }

    private static func compatible(_ family: Family, with table: Family) -> Bool {
        table == .inet ? family != .inet : family == table
    }

    static func checkName(_ name: String, object: String) throws(TransactionError) {
        guard !name.isEmpty else { throw .invalidName(object: object, name: name, reason: "empty") }
        guard name.utf8.count <= maxNameLength else {
            throw .invalidName(object: object, name: String(name.prefix(40)) + "…", reason: "longer than \(maxNameLength) bytes")
        }
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else {
            throw .invalidName(object: object, name: name, reason: "must start with a letter")
        }
        for scalar in name.unicodeScalars {
            let ok = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "/_.-".unicodeScalars.contains(scalar))
            guard ok else { throw .invalidName(object: object, name: name, reason: "character '\(scalar)' not allowed (letters, digits, / _ . -)") }
        }
    }

    static func checkComment(_ comment: String?, object: String) throws(TransactionError) {
        guard let comment else { return }
        guard comment.utf8.count <= maxCommentLength else { throw .invalidComment(object: object, reason: "longer than \(maxCommentLength) bytes") }
        guard !comment.contains("\""), !comment.contains("\n") else { throw .invalidComment(object: object, reason: "contains a quote or newline") }
    }

    private static func checkRule(_ rule: Rule, object: String) throws(TransactionError) {
        guard !rule.statements.isEmpty else { throw .invalidExpression(object: object, reason: "a rule needs at least one statement") }
        let family = rule.table.family
        var sawTransportMatch = false
        for statement in rule.statements {
            for expression in statement.expressions {
                for required in expression.requiredFamilies where !compatible(required, with: family) {
                    throw .familyMismatch(object: object, table: family, expression: required)
                }
            }
            for name in statement.chainReferences + statement.setReferences { try checkName(name, object: object) }
            switch statement {
            case .match(.meta(.l4proto), .equal, _):
                sawTransportMatch = true
            case .dnat(let target, let qualifier):
                if family == .inet, qualifier == nil {
                    throw .invalidExpression(object: object, reason: "dnat in an inet table needs an ip/ip6 qualifier")
                }
                if case .address(_, let port?) = target, !sawTransportMatch {
                    throw .invalidExpression(object: object, reason: "dnat to a port \(port) needs a meta l4proto match before it")
                }
            default:
                break
            }
        }
    }
}
