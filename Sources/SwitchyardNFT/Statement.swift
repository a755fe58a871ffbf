/// Comparison operators in a match.
public enum Relation: String, Sendable, Hashable {
    case equal = "=="
    case notEqual = "!="
}

/// Where `dnat` sends a packet.
public enum NATTarget: Sendable, Hashable {
    /// `dnat to ADDR[:PORT]`. With a port, the rule needs a transport protocol match before it.
    case address(Address, port: UInt16?)
    /// `dnat to KEY map @MAP`: the map's data (`address . port`) is the new destination.
    case map(Expression, map: String)
}

/// How `reject` answers.
public enum RejectKind: Sendable, Hashable, CustomStringConvertible {
    /// Plain `reject`: ICMP (v6) port unreachable.
    case portUnreachable
    /// `reject with tcp reset` (matches only TCP packets; nft adds the `meta l4proto tcp` dependency).
    case tcpReset

    public var description: String {
        switch self {
        case .portUnreachable: "icmp port unreachable"
        case .tcpReset: "tcp reset"
        }
    }
}

/// Dynamic-set operations from the packet path (`update @set { … }`).
public enum SetUpdateOperation: String, Sendable, Hashable {
    /// Add the key, or refresh its timeout if present.
    case update
    /// Add the key only if absent.
    case add
    /// Remove the key.
    case delete
}

/// One statement of a rule: a match that may stop the rule, or an action.
public enum Statement: Sendable, Hashable {
    /// `LEFT [!=|==] RIGHT`; RIGHT is a value, a prefix or an anonymous set. Equality prints implicitly.
    case match(Expression, Relation, Expression)
    /// `KEY @set` or `KEY != @set`.
    case lookup(Expression, set: String, negated: Bool)
    /// `KEY vmap @map`: the map's verdict.
    case verdictMap(Expression, map: String)
    case counter
    case verdict(Verdict)
    /// `meta mark set EXPR`.
    case setMark(Expression)
    /// `dnat [FAMILY] to …`; the family qualifier is needed only in `inet` tables.
    case dnat(NATTarget, family: Family?)
    case masquerade(fullyRandom: Bool)
    case reject(RejectKind)
    /// `update @set { KEY [timeout Ns] [: DATA] }`.
    case setUpdate(SetUpdateOperation, set: String, key: Expression, timeout: Int?, data: Expression?)

    // MARK: Conveniences for the common forms.

    /// `KEY @set`.
    public static func inSet(_ key: Expression, _ set: String) -> Statement { .lookup(key, set: set, negated: false) }
    /// `KEY != @set`.
    public static func notInSet(_ key: Expression, _ set: String) -> Statement { .lookup(key, set: set, negated: true) }
    /// `meta mark set meta mark | BITS`.
    public static func markOr(_ bits: UInt32) -> Statement { .setMark(.bitwise(.meta(.mark), .or, bits)) }
    /// `meta mark set meta mark ^ BITS`.
    public static func markXor(_ bits: UInt32) -> Statement { .setMark(.bitwise(.meta(.mark), .xor, bits)) }
    /// `meta l4proto PROTO`.
    public static func l4proto(_ proto: L4Proto) -> Statement { .match(.meta(.l4proto), .equal, .value(.proto(proto))) }
    /// `ct state STATES`.
    public static func ctState(_ states: CtState...) -> Statement { .match(.ct(.state), .equal, .value(.ctState(states))) }
    /// `jump CHAIN`.
    public static func jump(_ chain: String) -> Statement { .verdict(.jump(chain)) }
    /// `goto CHAIN`.
    public static func goto(_ chain: String) -> Statement { .verdict(.goto(chain)) }

    /// The `nft` text of this statement inside a table of `family`.
    public func render(in family: Family) -> String {
        switch self {
        case .match(let left, let relation, let right):
            if relation == .notEqual { return "\(left) != \(right)" }
            if case .bitwise = left { return "\(left) == \(right)" }
            if case .numgen = left { return "\(left) == \(right)" }
            if case .jhash = left { return "\(left) == \(right)" }
            return "\(left) \(right)"
        case .lookup(let key, let set, let negated):
            return negated ? "\(key) != @\(set)" : "\(key) @\(set)"
        case .verdictMap(let key, let map):
            return "\(key) vmap @\(map)"
        case .counter:
            return "counter"
        case .verdict(let verdict):
            return verdict.description
        case .setMark(let expression):
            return "meta mark set \(expression)"
        case .dnat(let target, let qualifier):
            let head = qualifier.map { "dnat \($0.rawValue) to" } ?? "dnat to"
            switch target {
            case .address(let address, let port):
                let host = address.family == .ip6 && port != nil ? "[\(address)]" : address.description
                return "\(head) \(host)" + (port.map { ":\($0)" } ?? "")
            case .map(let key, let map):
                return "\(head) \(key) map @\(map)"
            }
        case .masquerade(let fullyRandom):
            return fullyRandom ? "masquerade fully-random" : "masquerade"
        case .reject(let kind):
            switch kind {
            case .portUnreachable: return "reject"
            case .tcpReset: return "reject with tcp reset"
            }
        case .setUpdate(let operation, let set, let key, let timeout, let data):
            var inner = key.description
            if let timeout { inner += " timeout \(timeout)s" }
            if let data { inner += " : \(data)" }
            return "\(operation.rawValue) @\(set) { \(inner) }"
        }
    }

    /// Chains this statement can transfer control to.
    var chainReferences: [String] {
        if case .verdict(let verdict) = self, let target = verdict.target { return [target] }
        return []
    }

    /// Named sets and maps this statement reads or writes.
    var setReferences: [String] {
        switch self {
        case .lookup(_, let set, _): [set]
        case .verdictMap(_, let map): [map]
        case .dnat(.map(_, let map), _): [map]
        case .setUpdate(_, let set, _, _, _): [set]
        default: []
        }
    }

    /// Expressions inside this statement, for family checks.
    var expressions: [Expression] {
        switch self {
        case .match(let left, _, let right): [left, right]
        case .lookup(let key, _, _), .verdictMap(let key, _): [key]
        case .setMark(let expression): [expression]
        case .dnat(.map(let key, _), _): [key]
        case .dnat(.address(let address, _), _): [.value(.address(address))]
        case .setUpdate(_, _, let key, _, let data): [key] + (data.map { [$0] } ?? [])
        default: []
        }
    }
}
