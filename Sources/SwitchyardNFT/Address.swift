/// An IPv4 or IPv6 address as nftables sees it. SwitchyardNFT depends on no other module, so it has its
/// own small address value; callers convert from their own types through `init(bytes:)`.
public enum Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    case v4(UInt32)
    case v6(high: UInt64, low: UInt64)

    /// An address from 4 or 16 network-order bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = .v6(high: high, low: low)
        default:
            return nil
        }
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text.
    public init?(_ text: String) {
        if let v4 = Self.parseV4(Substring(text)) {
            self = .v4(v4)
        } else if let (high, low) = Self.parseV6(text) {
            self = .v6(high: high, low: low)
        } else {
            return nil
        }
    }

    /// The family whose table holds this address.
    public var family: Family { if case .v4 = self { .ip } else { .ip6 } }

    /// Width in bits (32 or 128).
    public var bitWidth: Int { if case .v4 = self { 32 } else { 128 } }

    /// Whether this is 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        switch self {
        case .v4(let value): value >> 24 == 127
        case .v6(let high, let low): high == 0 && low == 1
        }
    }

    /// Network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32($0))) }
        case .v6(let high, let low):
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
        }
    }

    /// The address with all bits past `length` cleared.
    public func masked(to length: Int) -> Address {
        switch self {
        case .v4(let value):
            let mask: UInt32 = length <= 0 ? 0 : (length >= 32 ? ~0 : ~UInt32(0) << UInt32(32 - length))
            return .v4(value & mask)
        case .v6(let high, let low):
            let highMask: UInt64 = length >= 64 ? ~0 : (length <= 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return .v6(high: high & highMask, low: low & lowMask)
        }
    }

    /// Canonical text: dotted quad, or RFC 5952 compressed lowercase IPv6.
    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
        case .v6(let high, let low):
            let groups = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
                + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
            var bestStart = -1, bestLength = 0, runStart = -1
            for index in 0...8 {
                if index < 8, groups[index] == 0 {
                    if runStart < 0 { runStart = index }
                } else if runStart >= 0 {
                    if index - runStart > bestLength, index - runStart >= 2 { bestStart = runStart; bestLength = index - runStart }
                    runStart = -1
                }
            }
            var out = ""
            var index = 0
            while index < 8 {
                if index == bestStart { out += "::"; index += bestLength; continue }
                if !out.isEmpty, !out.hasSuffix(":") { out += ":" }
                out += String(groups[index], radix: 16)
                index += 1
            }
            return out
        }
    }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let ah, let al), .v6(let bh, let bl)): (ah, al) < (bh, bl)
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    private static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseV6(_ text: String) -> (UInt64, UInt64)? {
        guard text.contains(":") else { return nil }
        var halves: [String] = []
        if let gap = text.firstRange(of: "::") {
            halves = [String(text[..<gap.lowerBound]), String(text[gap.upperBound...])]
            guard !halves[1].contains("::") else { return nil }
        } else {
            halves = [text]
        }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if index == fields.count - 1, field.contains("."), let v4 = parseV4(field) {
                    out += [UInt16(v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                } else {
                    guard !field.isEmpty, field.count <= 4, let group = UInt16(field, radix: 16) else { return nil }
                    out.append(group)
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        let high = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }
}

/// An address prefix (`10.0.0.0/8`), used in interval sets and CIDR matches. The address is kept masked.
public struct Prefix: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let address: Address
    public let length: Int

    /// A prefix; host bits are cleared and the length is clamped to the family's width.
    public init(_ address: Address, _ length: Int) {
        let clamped = max(0, min(length, address.bitWidth))
        self.address = address.masked(to: clamped)
        self.length = clamped
    }

    /// Parses `ADDR/LEN`; a bare address becomes a host prefix.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard let address = parts.first.flatMap({ Address(String($0)) }) else { return nil }
        if parts.count == 1 {
            self.init(address, address.bitWidth)
        } else if parts.count == 2, let length = Int(parts[1]), length >= 0, length <= address.bitWidth {
            self.init(address, length)
        } else {
            return nil
        }
    }

    /// Whether `other` lies inside this prefix.
    public func contains(_ other: Address) -> Bool {
        other.family == address.family && other.masked(to: length) == address
    }

    public var description: String { "\(address)/\(length)" }

    public static func < (lhs: Prefix, rhs: Prefix) -> Bool { (lhs.address, lhs.length) < (rhs.address, rhs.length) }
}
