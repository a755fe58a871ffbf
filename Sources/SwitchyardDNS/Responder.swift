/// Turns a resolution into reply bytes. The fast path copies the precomputed answer after the echoed
/// question; only what does not fit is cut (with TC when answer records were dropped).
public enum Responder {
    /// The size of the OPT record this server writes (no options).
    static let optLength = 11

    /// The reply to `request` for an outcome computed from `zone`, at most `maxSize` bytes.
    public static func reply(
        to request: Request, resolution: Resolution, zone: DNSZone, maxSize: Int
    ) -> [UInt8] {
        let qname = request.question.name.wire
        var out: [UInt8] = []
        out.reserveCapacity(min(maxSize, 512))
        out.append(contentsOf: [UInt8(request.id >> 8), UInt8(truncatingIfNeeded: request.id), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        out.append(contentsOf: qname)
        out.append(contentsOf: [
            UInt8(request.question.type.rawValue >> 8), UInt8(truncatingIfNeeded: request.question.type.rawValue),
            UInt8(request.question.recordClass.rawValue >> 8), UInt8(truncatingIfNeeded: request.question.recordClass.rawValue),
        ])
        let limit = max(maxSize, DNSLimits.classicUDPSize) - (request.edns == nil ? 0 : optLength)
        var answerCount = 0, authorityCount = 0, additionalCount = 0
        var truncated = false
        switch resolution {
        case .answer(let answer):
            let room = limit - out.count
            let bodyStart = out.count
            if answer.bodyLength <= room {
                answer.storage.withUnsafeBufferPointer { buffer in
                    out.append(contentsOf: buffer[answer.bodyStart..<(answer.bodyStart + answer.bodyLength)])
                }
                answerCount = answer.answerCount
                additionalCount = answer.additionalCount
                echoZoneCase(&out, from: bodyStart, qname: qname, zone: zone)
            } else {
                var kept = 0
                while kept < answer.recordCount, answer.recordEnd(kept) <= room { kept += 1 }
                let length = kept == 0 ? 0 : answer.recordEnd(kept - 1)
                out.append(contentsOf: answer.storage[answer.bodyStart..<(answer.bodyStart + length)])
                answerCount = min(kept, answer.answerCount)
                additionalCount = kept - answerCount
                truncated = answerCount < answer.answerCount
            }
        case .noData(let origin), .nameError(let origin):
            let zoneOffset = 12 + qname.count - zone.origins[origin].count
            zone.soa[origin].write(into: &out, zoneOffset: zoneOffset)
            authorityCount = 1
        case .serverFailure, .refused, .forward, .externalName:
            break
        }
        finish(&out, request: request, rcode: resolution.rcode, authoritative: resolution.isAuthoritative,
               truncated: truncated, counts: (answerCount, authorityCount, additionalCount))
        return out
    }

    /// Names written whole (SRV targets: RFC 2782 forbids compressing them) carry the zone in
    /// lowercase; CoreDNS echoes the query's case in that zone part (its case test:
    /// `_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.` → target `svc1.testns.svc.cLuStEr.LoCaL.`), so the
    /// zone's bytes in the body from `start` are replaced by the question's. Only for a question with
    /// an upper-case letter: the hot path (lowercase queries) pays one scan of the name.
    static func echoZoneCase(_ out: inout [UInt8], from start: Int, qname: [UInt8], zone: DNSZone) {
        guard qname.contains(where: { $0 >= 65 && $0 <= 90 }) else { return }
        let lower = DNSName.lowercase(qname)
        guard let origin = zone.origins.first(where: { $0.count > 1 && lower.count >= $0.count && lower.suffix($0.count).elementsEqual($0) }) else { return }
        let asked = qname.suffix(origin.count)
        guard asked.contains(where: { $0 >= 65 && $0 <= 90 }), out.count - start >= origin.count else { return }
        var index = start
        while index + origin.count <= out.count {
            if out[index] == origin[0], out[index..<(index + origin.count)].elementsEqual(origin) {
                out.replaceSubrange(index..<(index + origin.count), with: asked)
                index += origin.count
            } else {
                index += 1
            }
        }
    }

    /// Fills in the header and appends the OPT record when the query had one.
    static func finish(
        _ out: inout [UInt8], request: Request, rcode: ResponseCode, authoritative: Bool, truncated: Bool,
        counts: (Int, Int, Int), recursionAvailable: Bool = false
    ) {
        var flags = HeaderFlags()
        flags.isResponse = true
        flags.opcode = request.flags.opcode
        flags.authoritative = authoritative
        flags.truncated = truncated
        flags.recursionDesired = request.flags.recursionDesired
        flags.recursionAvailable = recursionAvailable
        flags.checkingDisabled = request.flags.checkingDisabled
        let word = flags.word(rcode: rcode)
        out[2] = UInt8(word >> 8); out[3] = UInt8(truncatingIfNeeded: word)
        out[6] = UInt8(counts.0 >> 8); out[7] = UInt8(truncatingIfNeeded: counts.0)
        out[8] = UInt8(counts.1 >> 8); out[9] = UInt8(truncatingIfNeeded: counts.1)
        let additional = counts.2 + (request.edns == nil ? 0 : 1)
        out[10] = UInt8(additional >> 8); out[11] = UInt8(truncatingIfNeeded: additional)
        if let edns = request.edns {
            let size = max(edns.udpPayloadSize, UInt16(DNSLimits.classicUDPSize))
            out.append(contentsOf: [0, 0, 41, UInt8(size >> 8), UInt8(truncatingIfNeeded: size),
                                    rcode.extendedBits, 0, edns.dnssecOK ? 0x80 : 0, 0, 0, 0])
        }
    }

    /// The reply for an ExternalName whose target was looked up upstream: the CNAME, then the
    /// upstream's answer records. An upstream failure (nil, SERVFAIL, REFUSED…) drops the CNAME and
    /// answers NODATA; an upstream NXDOMAIN still answers NOERROR with the CNAME; TC is copied.
    public static func reply(
        to request: Request, externalTarget target: DNSName, origin: Int, upstream: DNSMessage?, zone: DNSZone,
        maxSize: Int
    ) -> [UInt8] {
        guard let upstream, upstream.rcode == .noError || upstream.rcode == .nameError else {
            return reply(to: request, resolution: .noData(origin: origin), zone: zone, maxSize: maxSize)
        }
        let lower = DNSName.lowercase(request.question.name.wire)
        let cname = ResourceRecord(name: DNSName(uncheckedWire: lower), ttl: zone.options.ttl, data: .cname(target))
        let answer = Answer.make(
            type: request.question.type, answers: [cname] + upstream.answers, questionName: lower,
            zoneLength: zone.origins[origin].count)
        var out = reply(to: request, resolution: .answer(answer), zone: zone, maxSize: maxSize)
        if upstream.flags.truncated { out[2] |= 0x02 }
        return out
    }

    /// Relays an upstream reply for a forwarded query: the upstream's code and records under the
    /// client's ID and question, cut to `maxSize`.
    public static func relay(_ upstream: DNSMessage, to request: Request, maxSize: Int) -> [UInt8] {
        var flags = upstream.flags
        flags.opcode = request.flags.opcode
        flags.recursionDesired = request.flags.recursionDesired
        flags.isResponse = true
        let edns = request.edns.map { EDNS(udpPayloadSize: max($0.udpPayloadSize, 512), dnssecOK: $0.dnssecOK) }
        let message = DNSMessage(
            id: request.id, flags: flags, rcode: upstream.rcode.rawValue >= 16 && edns == nil ? .serverFailure : upstream.rcode,
            questions: [request.question], answers: upstream.answers, authority: upstream.authority,
            additional: upstream.additional, edns: edns)
        return message.encoded(maxSize: maxSize)
    }

    /// A reply that carries only a code, echoing the question.
    public static func reply(to request: Request, rcode: ResponseCode, recursionAvailable: Bool = false) -> [UInt8] {
        var out: [UInt8] = [UInt8(request.id >> 8), UInt8(truncatingIfNeeded: request.id), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        out.append(contentsOf: request.question.name.wire)
        out.append(contentsOf: [
            UInt8(request.question.type.rawValue >> 8), UInt8(truncatingIfNeeded: request.question.type.rawValue),
            UInt8(request.question.recordClass.rawValue >> 8), UInt8(truncatingIfNeeded: request.question.recordClass.rawValue),
        ])
        finish(&out, request: request, rcode: rcode, authoritative: false, truncated: false, counts: (0, 0, 0),
               recursionAvailable: recursionAvailable)
        return out
    }
}
