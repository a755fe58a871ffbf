/// An nftables table family. Switchyard uses `ip` and `ip6`; `inet` is modelled for completeness.
public enum Family: String, Sendable, Hashable, Comparable, CaseIterable {
    case ip, ip6, inet

    /// The `ip saddr` / `ip6 saddr` field of this family (nil for `inet`, which needs an explicit one).
    public var sourceAddress: Expression? {
        switch self {
        case .ip: .payload(.ipSaddr)
        case .ip6: .payload(.ip6Saddr)
        case .inet: nil
        }
    }

    /// The `ip daddr` / `ip6 daddr` field of this family (nil for `inet`).
    public var destinationAddress: Expression? {
        switch self {
        case .ip: .payload(.ipDaddr)
        case .ip6: .payload(.ip6Daddr)
        case .inet: nil
        }
    }

    /// The set element type of this family's addresses.
    public var addressType: DataType? {
        switch self {
        case .ip: .ipv4Address
        case .ip6: .ipv6Address
        case .inet: nil
        }
    }

    public static func < (lhs: Family, rhs: Family) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// Layer-4 protocols with their IANA numbers.
public enum L4Proto: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case icmp = 1, tcp = 6, udp = 17, icmpv6 = 58, sctp = 132

    public var description: String {
        switch self {
        case .icmp: "icmp"
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmpv6: "ipv6-icmp"
        case .sctp: "sctp"
        }
    }

    public static func < (lhs: L4Proto, rhs: L4Proto) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Set key and map data types for `type …` declarations.
public enum DataType: String, Sendable, Hashable {
    case ipv4Address = "ipv4_addr"
    case ipv6Address = "ipv6_addr"
    case inetProto = "inet_proto"
    case inetService = "inet_service"
    case mark = "mark"
    case integer = "integer"
}

/// Conntrack states (`ct state`), matched as flags.
public enum CtState: String, Sendable, Hashable, Comparable, CaseIterable {
    case invalid, established, related, new, untracked
    public static func < (lhs: CtState, rhs: CtState) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// Conntrack status bits (`ct status`), matched as flags.
public enum CtStatus: String, Sendable, Hashable, Comparable, CaseIterable {
    case expected, seenReply = "seen-reply", assured, confirmed, snat, dnat, dying
    public static func < (lhs: CtStatus, rhs: CtStatus) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// `fib … type` results the model knows.
public enum AddressType: String, Sendable, Hashable, Comparable, CaseIterable {
    case unicast, local, broadcast, multicast
    public static func < (lhs: AddressType, rhs: AddressType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A verdict: ends a rule's evaluation (or the chain's, for jump/goto/return).
public enum Verdict: Sendable, Hashable, Comparable, CustomStringConvertible {
    case accept, drop, `continue`, `return`
    case jump(String)
    case goto(String)

    /// The chain this verdict transfers control to, if any.
    public var target: String? {
        switch self {
        case .jump(let chain), .goto(let chain): chain
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.description < rhs.description }
}

/// A constant: an element key or data field, or the right-hand side of a match.
public enum Value: Sendable, Hashable, Comparable, CustomStringConvertible {
    case address(Address)
    case prefix(Prefix)
    case proto(L4Proto)
    case port(UInt16)
    case integer(UInt32)
    /// Rendered in hex (`0x4000`), as marks usually are.
    case mark(UInt32)
    case ctState([CtState])
    case ctStatus([CtStatus])
    case addressType(AddressType)
    case family(Family)
    case string(String)

    public var description: String {
        switch self {
        case .address(let address): address.description
        case .prefix(let prefix): prefix.description
        case .proto(let proto): proto.description
        case .port(let port): String(port)
        case .integer(let value): String(value)
        case .mark(let value): "0x" + String(value, radix: 16)
        case .ctState(let states): states.sorted().map(\.rawValue).joined(separator: ",")
        case .ctStatus(let bits): bits.sorted().map(\.rawValue).joined(separator: ",")
        case .addressType(let type): type.rawValue
        case .family(let family): family == .ip ? "ipv4" : "ipv6"
        case .string(let text): "\"\(text)\""
        }
    }

    /// The family an address-like value belongs to.
    public var addressFamily: Family? {
        switch self {
        case .address(let address): address.family
        case .prefix(let prefix): prefix.address.family
        default: nil
        }
    }

    /// Sort order: by kind, then numerically, so element lists print deterministically.
    public static func < (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.address(let a), .address(let b)): return a < b
        case (.prefix(let a), .prefix(let b)): return a < b
        case (.proto(let a), .proto(let b)): return a < b
        case (.port(let a), .port(let b)): return a < b
        case (.integer(let a), .integer(let b)), (.mark(let a), .mark(let b)): return a < b
        default:
            return (lhs.rank, lhs.description) < (rhs.rank, rhs.description)
        }
    }

    private var rank: Int {
        switch self {
        case .address: 0
        case .prefix: 1
        case .proto: 2
        case .port: 3
        case .integer: 4
        case .mark: 5
        case .ctState: 6
        case .ctStatus: 7
        case .addressType: 8
        case .family: 9
        case .string: 10
        }
    }
}
