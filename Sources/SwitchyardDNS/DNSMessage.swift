import SwitchyardModel

/// The SOA record's data.
public struct SOAData: Hashable, Sendable {
    public var mname: DNSName
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The data of a resource record, by type. Types this server does not interpret keep their raw bytes.
public enum RData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case cname(DNSName)
    case ptr(DNSName)
    case ns(DNSName)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// Character strings, each at most 255 bytes.
    case txt([[UInt8]])
    case soa(SOAData)
    case unknown(RecordType, [UInt8])

    public var type: RecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ptr: .ptr
        case .ns: .ns
        case .srv: .srv
        case .txt: .txt
        case .soa: .soa
        case .unknown(let type, _): type
        }
    }
}

/// One resource record (never OPT: that is `EDNS` on the message).
public struct ResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var data: RData

    public init(name: DNSName, recordClass: RecordClass = .internet, ttl: UInt32, data: RData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    public var type: RecordType { data.type }
}

/// One entry of the question section.
public struct Question: Hashable, Sendable {
    public var name: DNSName
    public var type: RecordType
    public var recordClass: RecordClass

    public init(name: DNSName, type: RecordType, recordClass: RecordClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// An EDNS(0) option (RFC 6891 §6.1.2).
public struct EDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}

/// The OPT pseudo-record, decoded.
public struct EDNS: Hashable, Sendable {
    /// The requestor's UDP payload size (the OPT record's CLASS).
    public var udpPayloadSize: UInt16
    /// The upper eight bits of the extended response code.
    public var extendedRCode: UInt8
    public var version: UInt8
    /// DNSSEC OK.
    public var dnssecOK: Bool
    public var options: [EDNSOption]

    public init(
        udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false,
        options: [EDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }
}

/// The header flags (everything in the second 16-bit word but the RCODE).
public struct HeaderFlags: Hashable, Sendable {
    public var isResponse = false
    public var opcode = Opcode.query
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var authenticData = false
    public var checkingDisabled = false

    public init() {}

    /// Splits the header's second word into flags and the 4-bit RCODE.
    public init(word: UInt16) {
        isResponse = word & 0x8000 != 0
        opcode = Opcode(rawValue: UInt8((word >> 11) & 0x0f))
        authoritative = word & 0x0400 != 0
        truncated = word & 0x0200 != 0
        recursionDesired = word & 0x0100 != 0
        recursionAvailable = word & 0x0080 != 0
        authenticData = word & 0x0020 != 0
        checkingDisabled = word & 0x0010 != 0
    }

    /// The header's second word with `rcode`'s low four bits.
    public func word(rcode: ResponseCode) -> UInt16 {
        var w: UInt16 = UInt16(opcode.rawValue) << 11
        if isResponse { w |= 0x8000 }
        if authoritative { w |= 0x0400 }
        if truncated { w |= 0x0200 }
        if recursionDesired { w |= 0x0100 }
        if recursionAvailable { w |= 0x0080 }
        if authenticData { w |= 0x0020 }
        if checkingDisabled { w |= 0x0010 }
        return w | rcode.headerBits
    }
}

/// A whole DNS message.
public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    public var flags: HeaderFlags
    /// The full response code; codes above 15 need `edns` to be carried.
    public var rcode: ResponseCode
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    public var additional: [ResourceRecord]
    public var edns: EDNS?

    public init(
        id: UInt16 = 0, flags: HeaderFlags = HeaderFlags(), rcode: ResponseCode = .noError,
        questions: [Question] = [], answers: [ResourceRecord] = [], authority: [ResourceRecord] = [],
        additional: [ResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.id = id
        self.flags = flags
        self.rcode = rcode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// A query for one name and type, with recursion desired and optionally EDNS.
    public static func query(
        id: UInt16, name: DNSName, type: RecordType, recursionDesired: Bool = true, edns: EDNS? = nil
    ) -> DNSMessage {
        var flags = HeaderFlags()
        flags.recursionDesired = recursionDesired
        return DNSMessage(id: id, flags: flags, questions: [Question(name: name, type: type)], edns: edns)
    }
}
