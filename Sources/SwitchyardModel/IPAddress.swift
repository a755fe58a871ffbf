/// Address family of an IP address, a Service's `ipFamilies` entry or an EndpointSlice's `addressType`.
public enum IPFamily: String, Sendable, Hashable, CaseIterable, Comparable {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"

    public static func < (lhs: IPFamily, rhs: IPFamily) -> Bool { lhs == .ipv4 && rhs == .ipv6 }
}

/// An IPv4 address held as a host-order 32-bit integer.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`10.96.0.10`). Leading zeros are rejected, as Go's net.ParseIP does.
    public init?(_ text: some StringProtocol) {
        self.init(text, leadingZeros: false)
    }

    /// Parses dotted-quad text as kube-proxy reads what the API server stored (`ParseIPSloppy`):
    /// leading zeros are allowed and read as decimal (`172.30.0.041` is 172.30.0.41), which API
    /// servers before Kubernetes 1.22 accepted and still hold.
    public init?(sloppy text: some StringProtocol) {
        self.init(text, leadingZeros: true)
    }

    private init?(_ text: some StringProtocol, leadingZeros: Bool) {
        // The text's bytes in place, parsed by a function that is not generic: the loop over a
        // generic UTF-8 view went through its witnesses for every byte (perf, churn at 10,000 ×
        // 100: ~400 ns an address, 1.6% of the daemon's samples, 100 addresses per EndpointSlice).
        guard let value = text.utf8.withContiguousStorageIfAvailable({ Self.parse($0, leadingZeros: leadingZeros) })
                ?? Array(text.utf8).withUnsafeBufferPointer({ Self.parse($0, leadingZeros: leadingZeros) }) else { return nil }
        self.value = value
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>, leadingZeros: Bool) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in text {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 1 && leadingZero && !leadingZeros { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if current > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, octets < 3 else { return nil }
                result = result << 8 | current
                octets += 1
                current = 0; digits = 0; leadingZero = false
            default:
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return result << 8 | current
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    public var isLoopback: Bool { value >> 24 == 127 }
    public var isUnspecified: Bool { value == 0 }

    public var description: String {
        "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address held as two host-order 64-bit halves.
public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address from its eight 16-bit groups.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has 8 groups")
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        high = h; low = l
    }

    /// Parses RFC 4291 text (`fd00::1`, `::ffff:10.0.0.1`). Zones (`%eth0`) are rejected.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var i = 0
        if utf8[0] == UInt8(ascii: ":") {
            guard utf8[1] == UInt8(ascii: ":") else { return nil }
            sawGap = true
            i = 2
        }
        while i < utf8.count {
            // Parse one group, or a trailing dotted IPv4.
            var j = i
            var group: UInt32 = 0
            while j < utf8.count, let h = Self.hexValue(utf8[j]) {
                group = group << 4 | UInt32(h)
                j += 1
                if j - i > 4 { return nil }
            }
            if j < utf8.count, utf8[j] == UInt8(ascii: ".") {
                guard let v4 = IPv4Address(String(decoding: utf8[i...], as: UTF8.self)) else { return nil }
                let pair = [UInt16(v4.value >> 16), UInt16(truncatingIfNeeded: v4.value)]
                if sawGap { tail += pair } else { head += pair }
                i = utf8.count
                break
            }
            guard j > i else { return nil }
            if sawGap { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            if j == utf8.count { i = j; break }
            guard utf8[j] == UInt8(ascii: ":") else { return nil }
            if j + 1 < utf8.count, utf8[j + 1] == UInt8(ascii: ":") {
                guard !sawGap else { return nil }
                sawGap = true
                i = j + 2
            } else {
                guard j + 1 < utf8.count else { return nil }
                i = j + 1
            }
        }
        let count = head.count + tail.count
        if sawGap {
            guard count <= 7 else { return nil }
            self.init(groups: head + Array(repeating: 0, count: 8 - count) + tail)
        } else {
            guard count == 8 else { return nil }
            self.init(groups: head)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    public var isLoopback: Bool { high == 0 && low == 1 }

    /// RFC 5952 canonical text: lowercase, longest run (≥ 2) of zero groups compressed, first run on ties.
    public var description: String {
        let g = groups
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8, g[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                let length = index - runStart
                if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        var out = ""
        var index = 0
        while index < 8 {
            if index == bestStart {
                out += "::"
                index += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(g[index], radix: 16)
            index += 1
        }
        return out
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// An IPv4 or IPv6 address. Ordered IPv4 first, then by value, so sorted output is deterministic.
public enum IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family's text form, IPv4 with leading zeros as decimal (``IPv4Address/init(sloppy:)``):
    /// how kube-proxy reads addresses the API server stored.
    public init?(sloppy text: some StringProtocol) {
        if let v4 = IPv4Address(sloppy: text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// Parses either family's text form.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var family: IPFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    public var isLoopback: Bool {
        switch self {
        case .v4(let a): a.isLoopback
        case .v6(let a): a.isLoopback
        }
    }

    /// Network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): a.bytes
        case .v6(let a): a.bytes
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}
