/// A parsed query: one question, its header flags and EDNS.
public struct Request: Sendable, Hashable {
    public var id: UInt16
    public var flags: HeaderFlags
    public var question: Question
    public var edns: EDNS?

    public init(id: UInt16, flags: HeaderFlags, question: Question, edns: EDNS?) {
        self.id = id
        self.flags = flags
        self.question = question
        self.edns = edns
    }

    /// The most a reply over UDP may take: the EDNS payload size (at least 512), else 512.
    public var udpLimit: Int {
        guard let edns else { return DNSLimits.classicUDPSize }
        return max(DNSLimits.classicUDPSize, Int(edns.udpPayloadSize))
    }
}

/// What to do with bytes received as a query.
public enum RequestParse: Sendable {
    /// A query to resolve.
    case request(Request)
    /// A query that is answered without resolving (FORMERR, NOTIMP, BADVERS): these bytes.
    case reply([UInt8])
    /// Not worth an answer (too short for a header, or a response).
    case drop
}

extension Request {
    /// Parses a query. Never traps; malformed input becomes FORMERR (when the header is readable) or
    /// `.drop`.
    public static func parse(_ bytes: [UInt8]) -> RequestParse {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// Parses a query from raw bytes.
    public static func parse(_ raw: UnsafeRawBufferPointer) -> RequestParse {
        guard raw.count >= 12 else { return .drop }
        var reader = WireReader(raw)
        do {
            let id = try reader.u16("header")
            let flags = HeaderFlags(word: try reader.u16("header"))
            guard !flags.isResponse else { return .drop }
            let qd = try reader.u16("header")
            let an = Int(try reader.u16("header"))
            let ns = Int(try reader.u16("header"))
            let ar = Int(try reader.u16("header"))
            guard qd == 1 else {
                return .reply(errorReply(id: id, flags: flags, rcode: flags.opcode == .query ? .formatError : .notImplemented))
            }
            let question = Question(
                name: try reader.name("question name"), type: RecordType(rawValue: try reader.u16("question type")),
                recordClass: RecordClass(rawValue: try reader.u16("question class")))
            guard flags.opcode == .query else {
                return .reply(errorReply(id: id, flags: flags, rcode: .notImplemented, question: question))
            }
            guard (an + ns + ar) * 11 <= reader.remaining else {
                return .reply(errorReply(id: id, flags: flags, rcode: .formatError))
            }
            var edns: EDNS?
            for index in 0..<(an + ns + ar) {
                _ = try reader.name("record name")
                let type = try reader.u16("record type")
                let cls = try reader.u16("record class")
                let ttl = try reader.u32("record ttl")
                let length = Int(try reader.u16("record length"))
                guard length <= reader.remaining else { throw DNSDecodeError.truncated(part: "rdata", offset: reader.offset) }
                if type == RecordType.opt.rawValue {
                    guard index >= an + ns, edns == nil else { throw DNSDecodeError.badOPT(offset: reader.offset) }
                    // Options are not echoed, so they are skipped after a structural check.
                    let end = reader.offset + length
                    while reader.offset < end {
                        _ = try reader.u16("option code")
                        let optionLength = Int(try reader.u16("option length"))
                        guard reader.offset + optionLength <= end else { throw DNSDecodeError.badOPT(offset: reader.offset) }
                        reader.offset += optionLength
                    }
                    edns = EDNS(
                        udpPayloadSize: cls, extendedRCode: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xff),
                        dnssecOK: ttl & 0x8000 != 0)
                } else {
                    reader.offset += length
                }
            }
            guard reader.remaining == 0 else { throw DNSDecodeError.trailingBytes(offset: reader.offset) }
            if let version = edns?.version, version != 0 {
                return .reply(errorReply(id: id, flags: flags, rcode: .badVersion, edns: EDNS(udpPayloadSize: edns?.udpPayloadSize ?? 512, dnssecOK: edns?.dnssecOK ?? false)))
            }
            return .request(Request(id: id, flags: flags, question: question, edns: edns))
        } catch {
            let id = UInt16(raw[0]) << 8 | UInt16(raw[1])
            let flags = HeaderFlags(word: UInt16(raw[2]) << 8 | UInt16(raw[3]))
            return .reply(errorReply(id: id, flags: flags, rcode: .formatError))
        }
    }

    /// A reply that carries only a code (and the question when known).
    static func errorReply(
        id: UInt16, flags request: HeaderFlags, rcode: ResponseCode, question: Question? = nil, edns: EDNS? = nil
    ) -> [UInt8] {
        var flags = HeaderFlags()
        flags.isResponse = true
        flags.opcode = request.opcode
        flags.recursionDesired = request.recursionDesired
        return DNSMessage(id: id, flags: flags, rcode: rcode, questions: question.map { [$0] } ?? [], edns: edns)
            .encoded()
    }
}
