/// Packet header fields (`ip saddr`, `th dport`, …).
public enum PayloadField: String, Sendable, Hashable {
    case ipSaddr = "ip saddr"
    case ipDaddr = "ip daddr"
    case ip6Saddr = "ip6 saddr"
    case ip6Daddr = "ip6 daddr"
    /// Transport header source port, whatever the protocol (TCP, UDP, SCTP).
    case thSport = "th sport"
    case thDport = "th dport"
    case tcpSport = "tcp sport"
    case tcpDport = "tcp dport"
    case udpSport = "udp sport"
    case udpDport = "udp dport"

    /// The family this field requires, if it is a network-layer field.
    var requiredFamily: Family? {
        switch self {
        case .ipSaddr, .ipDaddr: .ip
        case .ip6Saddr, .ip6Daddr: .ip6
        default: nil
        }
    }
}

/// `meta` keys.
public enum MetaKey: String, Sendable, Hashable {
    case l4proto, mark, nfproto, iifname, oifname
}

/// `ct` keys.
public enum CtKey: Sendable, Hashable {
    case state
    case status
    /// `ct original ip saddr` / `ct original ip6 saddr`: the source before NAT.
    case originalSource(Family)
    /// `ct original ip daddr` / `ct original ip6 daddr`: the destination before DNAT.
    case originalDestination(Family)

    var text: String {
        switch self {
        case .state: "ct state"
        case .status: "ct status"
        case .originalSource(let family): "ct original \(family.rawValue) saddr"
        case .originalDestination(let family): "ct original \(family.rawValue) daddr"
        }
    }
}

/// `fib` lookups the model knows: the route type of the source or destination address.
public enum FibKey: String, Sendable, Hashable {
    case sourceType = "fib saddr type"
    case destinationType = "fib daddr type"
}

/// `socket` lookups the model knows: a property of the local socket the packet would reach (looked
/// up from its own addresses and ports, before any NAT).
public enum SocketKey: String, Sendable, Hashable {
    /// `socket transparent`: 1 when such a socket exists and has IP(V6)_TRANSPARENT set (only a
    /// privileged process can set it), 0 otherwise.
    case transparent = "socket transparent"
}

/// `numgen` modes.
public enum NumgenMode: String, Sendable, Hashable {
    /// A fresh random number per packet.
    case random
    /// A counter that increments per packet (round robin).
    case inc
}

/// Bitwise operators on integers such as marks.
public enum BitwiseOperator: String, Sendable, Hashable {
    case and = "&", or = "|", xor = "^"
}

/// A typed nftables expression: something that yields a value from a packet, its conntrack entry or a
/// constant. Rendering produces `nft` syntax; the fake's tracer evaluates the same tree.
public indirect enum Expression: Sendable, Hashable, CustomStringConvertible {
    case payload(PayloadField)
    case meta(MetaKey)
    case ct(CtKey)
    case fib(FibKey)
    case socket(SocketKey)
    /// `numgen random|inc mod N [offset K]`: a number in K..<K+N.
    case numgen(NumgenMode, modulus: UInt32, offset: UInt32 = 0)
    /// `jhash EXPR mod N seed S [offset K]`: a hash of `EXPR` in K..<K+N.
    case jhash(Expression, modulus: UInt32, seed: UInt32, offset: UInt32 = 0)
    /// `a . b . c`: a concatenation, the key of a set lookup or map.
    case concat([Expression])
    case value(Value)
    /// An anonymous set `{ a, b }` on the right of a match.
    case anonymousSet([Value])
    /// `EXPR & K`, `EXPR | K`, `EXPR ^ K`.
    case bitwise(Expression, BitwiseOperator, UInt32)

    /// The fields of a concatenation, or the expression itself.
    public var fields: [Expression] {
        if case .concat(let parts) = self { return parts.flatMap(\.fields) }
        return [self]
    }

    /// `a . b` concatenation of several expressions (flattened).
    public static func concatenation(_ parts: Expression...) -> Expression {
        let flat = parts.flatMap(\.fields)
        return flat.count == 1 ? flat[0] : .concat(flat)
    }

    public var description: String {
        switch self {
        case .payload(let field): field.rawValue
        case .meta(let key): "meta \(key.rawValue)"
        case .ct(let key): key.text
        case .fib(let key): key.rawValue
        case .socket(let key): key.rawValue
        case .numgen(let mode, let modulus, let offset):
            "numgen \(mode.rawValue) mod \(modulus)" + (offset == 0 ? "" : " offset \(offset)")
        case .jhash(let input, let modulus, let seed, let offset):
            "jhash \(input) mod \(modulus) seed 0x\(String(seed, radix: 16))" + (offset == 0 ? "" : " offset \(offset)")
        case .concat(let parts): parts.map(\.description).joined(separator: " . ")
        case .value(let value): value.description
        case .anonymousSet(let values): "{ " + values.map(\.description).joined(separator: ", ") + " }"
        case .bitwise(let input, let op, let operand): "\(input) \(op.rawValue) 0x\(String(operand, radix: 16))"
        }
    }

    /// The family this expression requires, if any of its parts is family-specific.
    var requiredFamily: Family? {
        switch self {
        case .payload(let field): field.requiredFamily
        case .ct(.originalSource(let family)), .ct(.originalDestination(let family)): family
        case .jhash(let input, _, _, _): input.requiredFamily
        case .bitwise(let input, _, _): input.requiredFamily
        case .concat(let parts): parts.lazy.compactMap(\.requiredFamily).first
        case .value(let value): value.addressFamily
        case .anonymousSet(let values): values.lazy.compactMap(\.addressFamily).first
        default: nil
        }
    }

    /// Every family-specific part, to check a rule against its table's family.
    var requiredFamilies: [Family] {
        switch self {
        case .concat(let parts): parts.flatMap(\.requiredFamilies)
        case .anonymousSet(let values): values.compactMap(\.addressFamily)
        default: requiredFamily.map { [$0] } ?? []
        }
    }
}
