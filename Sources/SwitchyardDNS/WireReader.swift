import SwitchyardModel

/// Why a message could not be decoded; `offset` is where in the message the problem was found.
public enum DNSDecodeError: Error, Hashable, Sendable {
    /// The message ended inside the named part.
    case truncated(part: String, offset: Int)
    /// A compression pointer pointed forward, at itself, or outside the message.
    case badPointer(offset: Int)
    /// A label length byte used the reserved 0b01/0b10 prefixes.
    case badLabelType(offset: Int)
    /// The name exceeded 255 bytes (or too many pointers were followed).
    case nameTooLong(offset: Int)
    /// A record's data did not match its type's layout.
    case badRData(type: RecordType, offset: Int)
    /// A section count promised more records than the message can hold.
    case countTooLarge(section: String, count: Int)
    /// More than one OPT record, or OPT outside the additional section.
    case badOPT(offset: Int)
    /// Bytes left over after the last record.
    case trailingBytes(offset: Int)
}

/// Reads DNS wire data from a byte buffer, with bounds checks on every access.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func u8(_ part: String) throws(DNSDecodeError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(part: part, offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ part: String) throws(DNSDecodeError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw .truncated(part: part, offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32(_ part: String) throws(DNSDecodeError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .truncated(part: part, offset: offset) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func take(_ count: Int, _ part: String) throws(DNSDecodeError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated(part: part, offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a possibly compressed name. Every pointer must point strictly before the place it was
    /// read from, so loops are impossible; the expanded name may not exceed 255 bytes.
    mutating func name(_ part: String = "name") throws(DNSDecodeError) -> DNSName {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        var position = offset
        var jumped = false
        var lowestPointerSource = position
        while true {
            guard position < bytes.count else { throw .truncated(part: part, offset: position) }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    out.append(0)
                    if !jumped { offset = position + 1 }
                    guard out.count <= DNSLimits.maxNameLength else { throw .nameTooLong(offset: position) }
                    return DNSName(uncheckedWire: out)
                }
                let end = position + 1 + Int(length)
                guard end <= bytes.count else { throw .truncated(part: part, offset: position) }
                out.append(contentsOf: bytes[position..<end])
                guard out.count < DNSLimits.maxNameLength else { throw .nameTooLong(offset: position) }
                position = end
            case 0xC0:
                guard position + 2 <= bytes.count else { throw .truncated(part: part, offset: position) }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < lowestPointerSource else { throw .badPointer(offset: position) }
                if !jumped { offset = position + 2 }
                jumped = true
                lowestPointerSource = target
                position = target
            default:
                throw .badLabelType(offset: position)
            }
        }
    }
}

extension DNSMessage {
    /// Decodes a message. Never traps: malformed input throws `DNSDecodeError`.
    public init(decoding bytes: [UInt8]) throws(DNSDecodeError) {
        let result: Result<DNSMessage, DNSDecodeError> = bytes.withUnsafeBytes { raw in
            Result { () throws(DNSDecodeError) in try DNSMessage(decoding: raw) }
        }
        self = try result.get()
    }

    /// Decodes a message from raw bytes.
    public init(decoding raw: UnsafeRawBufferPointer) throws(DNSDecodeError) {
        var reader = WireReader(raw)
        let id = try reader.u16("header")
        let word = try reader.u16("header")
        let qd = Int(try reader.u16("header"))
        let an = Int(try reader.u16("header"))
        let ns = Int(try reader.u16("header"))
        let ar = Int(try reader.u16("header"))
        // Each question needs ≥ 5 bytes, each record ≥ 11: reject impossible counts before allocating.
        guard qd * 5 <= reader.remaining else { throw .countTooLarge(section: "question", count: qd) }
        guard (an + ns + ar) * 11 <= reader.remaining else {
            throw .countTooLarge(section: "records", count: an + ns + ar)
        }
        var message = DNSMessage(id: id, flags: HeaderFlags(word: word), rcode: ResponseCode(rawValue: word & 0x0f))
        for _ in 0..<qd {
            let name = try reader.name("question name")
            let type = RecordType(rawValue: try reader.u16("question type"))
            let cls = RecordClass(rawValue: try reader.u16("question class"))
            message.questions.append(Question(name: name, type: type, recordClass: cls))
        }
        message.answers = try Self.records(an, &reader, allowOPT: false, into: &message)
        message.authority = try Self.records(ns, &reader, allowOPT: false, into: &message)
        message.additional = try Self.records(ar, &reader, allowOPT: true, into: &message)
        if let edns = message.edns {
            message.rcode = ResponseCode(rawValue: UInt16(edns.extendedRCode) << 4 | message.rcode.rawValue)
        }
        guard reader.remaining == 0 else { throw .trailingBytes(offset: reader.offset) }
        self = message
    }

    private static func records(
        _ count: Int, _ reader: inout WireReader, allowOPT: Bool, into message: inout DNSMessage
    ) throws(DNSDecodeError) -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        for _ in 0..<count {
            let start = reader.offset
            let name = try reader.name("record name")
            let type = RecordType(rawValue: try reader.u16("record type"))
            let cls = try reader.u16("record class")
            let ttl = try reader.u32("record ttl")
            let length = Int(try reader.u16("record length"))
            guard length <= reader.remaining else { throw .truncated(part: "record data", offset: reader.offset) }
            let end = reader.offset + length
            if type == .opt {
                guard allowOPT, message.edns == nil, name.wire == [0] else { throw .badOPT(offset: start) }
                var options: [EDNSOption] = []
                while reader.offset < end {
                    let code = try reader.u16("option code")
                    let optionLength = Int(try reader.u16("option length"))
                    guard reader.offset + optionLength <= end else { throw .badOPT(offset: reader.offset) }
                    options.append(EDNSOption(code: code, data: try reader.take(optionLength, "option data")))
                }
                guard reader.offset == end else { throw .badOPT(offset: reader.offset) }
                message.edns = EDNS(
                    udpPayloadSize: cls, extendedRCode: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xff),
                    dnssecOK: ttl & 0x8000 != 0, options: options)
                continue
            }
            let data = try rdata(type, length: length, &reader)
            guard reader.offset == end else { throw .badRData(type: type, offset: start) }
            records.append(ResourceRecord(name: name, recordClass: RecordClass(rawValue: cls), ttl: ttl, data: data))
        }
        return records
    }

    private static func rdata(_ type: RecordType, length: Int, _ reader: inout WireReader) throws(DNSDecodeError) -> RData {
        let start = reader.offset
        let end = start + length
        // Names inside rdata must not run past the record.
        func boundedName() throws(DNSDecodeError) -> DNSName {
            let name = try reader.name("rdata name")
            guard reader.offset <= end else { throw .badRData(type: type, offset: start) }
            return name
        }
        switch type {
        case .a:
            guard length == 4 else { throw .badRData(type: type, offset: start) }
            return .a(IPv4Address(try reader.u32("A")))
        case .aaaa:
            guard length == 16 else { throw .badRData(type: type, offset: start) }
            let high = UInt64(try reader.u32("AAAA")) << 32 | UInt64(try reader.u32("AAAA"))
            let low = UInt64(try reader.u32("AAAA")) << 32 | UInt64(try reader.u32("AAAA"))
            return .aaaa(IPv6Address(high: high, low: low))
        case .cname: return .cname(try boundedName())
        case .ptr: return .ptr(try boundedName())
        case .ns: return .ns(try boundedName())
        case .srv:
            guard length >= 7 else { throw .badRData(type: type, offset: start) }
            let priority = try reader.u16("SRV")
            let weight = try reader.u16("SRV")
            let port = try reader.u16("SRV")
            return .srv(priority: priority, weight: weight, port: port, target: try boundedName())
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.u8("TXT"))
                guard reader.offset + count <= end else { throw .badRData(type: type, offset: start) }
                strings.append(try reader.take(count, "TXT"))
            }
            return .txt(strings)
        case .soa:
            let mname = try boundedName()
            let rname = try boundedName()
            guard end - reader.offset == 20 else { throw .badRData(type: type, offset: start) }
            return .soa(SOAData(
                mname: mname, rname: rname, serial: try reader.u32("SOA"), refresh: try reader.u32("SOA"),
                retry: try reader.u32("SOA"), expire: try reader.u32("SOA"), minimum: try reader.u32("SOA")))
        default:
            return .unknown(type, try reader.take(length, "rdata"))
        }
    }
}
