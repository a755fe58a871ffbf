/// A resource record type (RFC 1035 §3.2.2 and later RFCs). Unknown values are kept as they are.
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RecordType(rawValue: 1)
    public static let ns = RecordType(rawValue: 2)
    public static let cname = RecordType(rawValue: 5)
    public static let soa = RecordType(rawValue: 6)
    public static let ptr = RecordType(rawValue: 12)
    public static let hinfo = RecordType(rawValue: 13)
    public static let mx = RecordType(rawValue: 15)
    public static let txt = RecordType(rawValue: 16)
    public static let aaaa = RecordType(rawValue: 28)
    public static let srv = RecordType(rawValue: 33)
    public static let opt = RecordType(rawValue: 41)
    public static let ixfr = RecordType(rawValue: 251)
    public static let axfr = RecordType(rawValue: 252)
    public static let any = RecordType(rawValue: 255)

    private static let names: [(RecordType, String)] = [
        (.a, "A"), (.ns, "NS"), (.cname, "CNAME"), (.soa, "SOA"), (.ptr, "PTR"), (.hinfo, "HINFO"),
        (.mx, "MX"), (.txt, "TXT"), (.aaaa, "AAAA"), (.srv, "SRV"), (.opt, "OPT"), (.ixfr, "IXFR"),
        (.axfr, "AXFR"), (.any, "ANY"),
    ]

    /// Parses a mnemonic (`A`, `srv`) or the RFC 3597 form `TYPE65`.
    public init?(mnemonic: some StringProtocol) {
        let upper = mnemonic.uppercased()
        if let known = Self.names.first(where: { $0.1 == upper }) {
            self = known.0
        } else if upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) {
            self.init(rawValue: value)
        } else {
            return nil
        }
    }

    public var description: String {
        Self.names.first { $0.0 == self }?.1 ?? "TYPE\(rawValue)"
    }
}

/// A resource record class. Only IN is served; others are carried through.
public struct RecordClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let internet = RecordClass(rawValue: 1)
    public static let chaos = RecordClass(rawValue: 3)
    public static let any = RecordClass(rawValue: 255)

    public var description: String {
        switch rawValue {
        case 1: "IN"
        case 3: "CH"
        case 255: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}

/// The header's OPCODE field.
public struct Opcode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0f }

    public static let query = Opcode(rawValue: 0)
    public static let status = Opcode(rawValue: 2)
    public static let notify = Opcode(rawValue: 4)
    public static let update = Opcode(rawValue: 5)
}

/// A response code, including EDNS extended codes (BADVERS = 16 needs the OPT record's upper bits).
public struct ResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = ResponseCode(rawValue: 0)
    public static let formatError = ResponseCode(rawValue: 1)
    public static let serverFailure = ResponseCode(rawValue: 2)
    public static let nameError = ResponseCode(rawValue: 3)
    public static let notImplemented = ResponseCode(rawValue: 4)
    public static let refused = ResponseCode(rawValue: 5)
    public static let badVersion = ResponseCode(rawValue: 16)

    public var description: String {
        switch rawValue {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 16: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }

    /// The low four bits, which live in the header.
    var headerBits: UInt16 { rawValue & 0x0f }
    /// The high eight bits, which live in the OPT record's TTL.
    var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }
}

/// Size limits from RFC 1035 and RFC 6891.
public enum DNSLimits {
    /// A UDP message without EDNS.
    public static let classicUDPSize = 512
    /// The largest message (TCP framing is 16 bits).
    public static let maxMessageSize = 65535
    /// The most a single name may take in wire form.
    public static let maxNameLength = 255
    /// The most a single label may hold.
    public static let maxLabelLength = 63
}
