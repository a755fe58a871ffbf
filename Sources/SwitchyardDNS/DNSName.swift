/// A domain name in uncompressed wire form (length-prefixed labels ending with the root's zero byte).
/// Equality and hashing are exact (case-sensitive); use `lowercased()` to compare as DNS does.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The wire bytes, always ending with a zero byte; at most 255 bytes.
    public let wire: [UInt8]

    /// The root name `.`.
    public static let root = DNSName(uncheckedWire: [0])

    /// Wraps bytes already known to be a valid uncompressed name.
    init(uncheckedWire: [UInt8]) { wire = uncheckedWire }

    /// Builds a name from labels (without dots). Nil when a label is empty or too long, or the name
    /// exceeds 255 bytes.
    public init?(labels: some Sequence<some Collection<UInt8>>) {
        var bytes: [UInt8] = []
        for label in labels {
            guard !label.isEmpty, label.count <= DNSLimits.maxLabelLength else { return nil }
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
        }
        bytes.append(0)
        guard bytes.count <= DNSLimits.maxNameLength else { return nil }
        wire = bytes
    }

    /// Parses presentation text (`web.default.svc.cluster.local.`); the trailing dot is optional.
    /// `\.` and `\DDD` escapes are understood. Nil for empty labels or names that are too long.
    public init?(_ text: some StringProtocol) {
        if text == "." || text.isEmpty {
            self = .root
            return
        }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "."):
                guard !current.isEmpty else { return nil }
                labels.append(current)
                current = []
            case UInt8(ascii: "\\"):
                guard let next = bytes.popFirst() else { return nil }
                if Self.isDigit(next) {
                    guard let d2 = bytes.popFirst(), let d3 = bytes.popFirst(), Self.isDigit(d2), Self.isDigit(d3)
                    else { return nil }
                    let value = Int(next - 48) * 100 + Int(d2 - 48) * 10 + Int(d3 - 48)
                    guard value <= 255 else { return nil }
                    current.append(UInt8(value))
                } else {
                    current.append(next)
                }
            default:
                current.append(byte)
            }
        }
        if !current.isEmpty { labels.append(current) }
        self.init(labels: labels)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// The labels, leftmost first (the root has none).
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        while i < wire.count, wire[i] != 0 {
            let length = Int(wire[i])
            result.append(wire[(i + 1)..<(i + 1 + length)])
            i += 1 + length
        }
        return result
    }

    /// How many labels the name has (the root has 0).
    public var labelCount: Int {
        var count = 0
        var i = 0
        while i < wire.count, wire[i] != 0 {
            count += 1
            i += 1 + Int(wire[i])
        }
        return count
    }

    /// The same name with ASCII letters lowered.
    public func lowercased() -> DNSName {
        DNSName(uncheckedWire: Self.lowercase(wire))
    }

    /// Lowers ASCII letters of wire bytes. Length bytes are at most 63 and so are never letters.
    static func lowercase(_ bytes: [UInt8]) -> [UInt8] {
        // Most names are lowercase already: the same storage back, no allocation (a query's name
        // is lowercased on every lookup).
        guard bytes.contains(where: { $0 >= 65 && $0 <= 90 }) else { return bytes }
        return bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
    }

    /// Whether this name equals `other` or lies below it, ignoring case.
    public func isSubdomain(of other: DNSName) -> Bool {
        guard wire.count >= other.wire.count else { return false }
        let offset = wire.count - other.wire.count
        // The suffix must start on a label boundary.
        var i = 0
        while i < offset {
            i += 1 + Int(wire[i])
        }
        guard i == offset else { return false }
        for j in 0..<other.wire.count where Self.lower(wire[offset + j]) != Self.lower(other.wire[j]) {
            return false
        }
        return true
    }

    /// Whether the two names are equal ignoring ASCII case.
    public func equalsIgnoringCase(_ other: DNSName) -> Bool {
        wire.count == other.wire.count && isSubdomain(of: other)
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }

    /// The name with the leftmost `count` labels removed.
    public func dropping(labels count: Int) -> DNSName {
        var i = 0
        for _ in 0..<count where i < wire.count && wire[i] != 0 {
            i += 1 + Int(wire[i])
        }
        return DNSName(uncheckedWire: Array(wire[i...]))
    }

    /// `label.self`; nil when the result would be too long or the label is invalid.
    public func prepending(label: some Collection<UInt8>) -> DNSName? {
        guard !label.isEmpty, label.count <= DNSLimits.maxLabelLength,
              wire.count + label.count + 1 <= DNSLimits.maxNameLength else { return nil }
        return DNSName(uncheckedWire: [UInt8(label.count)] + label + wire)
    }

    /// `label.self` from text.
    public func prepending(_ label: String) -> DNSName? { prepending(label: Array(label.utf8)) }

    /// Presentation form with a trailing dot; dots, backslashes and non-printable bytes are escaped.
    public var description: String {
        if wire.count <= 1 { return "." }
        var out = ""
        for label in labels {
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""):
                    out.append("\\")
                    out.append(Character(UnicodeScalar(byte)))
                case 0x21...0x7e:
                    out.append(Character(UnicodeScalar(byte)))
                default:
                    let digits = String(byte)
                    out.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
                }
            }
            out.append(".")
        }
        return out
    }
}
