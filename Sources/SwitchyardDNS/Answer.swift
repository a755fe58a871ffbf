import SwitchyardModel

/// A precomputed response body for one name and type: the answer records followed by the additional
/// records, in wire form, laid out for a response whose question name has the length of this node's
/// name (which is always the case: the question is echoed byte for byte). Names inside point into the
/// question (owner names and the zone suffix), so replies echo the query's case without rewriting.
///
/// Stored in a node's byte blob as:
/// `type u16 · answers u16 · additional u16 · records u16 · end u16 × records · length u16 · body`.
public struct Answer: Sendable {
    let storage: [UInt8]
    let start: Int

    init(storage: [UInt8], start: Int) {
        self.storage = storage
        self.start = start
    }

    @inline(__always) private func u16(_ at: Int) -> Int {
        Int(storage[start + at]) << 8 | Int(storage[start + at + 1])
    }

    var type: UInt16 { UInt16(u16(0)) }
    public var answerCount: Int { u16(2) }
    public var additionalCount: Int { u16(4) }
    var recordCount: Int { u16(6) }
    /// Where record `i` ends, relative to the body.
    func recordEnd(_ i: Int) -> Int { u16(8 + 2 * i) }
    var bodyLength: Int { u16(8 + 2 * recordCount) }
    var bodyStart: Int { start + 10 + 2 * recordCount }
    /// Total bytes of this entry in the blob.
    var entryLength: Int { 10 + 2 * recordCount + bodyLength }

    /// Encodes one entry. `questionName` is the lowercased query name; `zoneLength` the wire length
    /// of the zone it ends with (its suffixes are used for compression).
    static func encodeEntry(
        type: RecordType, answers: [ResourceRecord], additional: [ResourceRecord], questionName: [UInt8],
        zoneLength: Int
    ) -> [UInt8] {
        var out: [UInt8] = []
        encodeEntry(type: type, answers: answers, additional: additional, questionName: questionName,
                    zoneLength: zoneLength, into: &out)
        return out
    }

    /// Appends one encoded entry to `out` (a zone build encodes every name's entries into one
    /// reused buffer instead of an array per entry).
    static func encodeEntry(
        type: RecordType, answers: [ResourceRecord], additional: [ResourceRecord], questionName: [UInt8],
        zoneLength: Int, into out: inout [UInt8]
    ) {
        encodeEntry(type: type, answerCount: answers.count, additional: additional, questionName: questionName,
                    zoneLength: zoneLength, into: &out) { i, w in w.record(answers[i], ownerMayBeQuestion: true) }
    }

    /// Appends the PTR entry of a reverse name whose answers point at `targets` (lowercased wire
    /// names): the bytes of ``encodeEntry(type:answers:additional:questionName:zoneLength:into:)``
    /// for those records, without a record value per target.
    static func encodePTREntry(targets: [ArraySlice<UInt8>], ttl: UInt32, questionName: [UInt8], zoneLength: Int,
                               into out: inout [UInt8]) {
        encodeEntry(type: .ptr, answerCount: targets.count, additional: [], questionName: questionName,
                    zoneLength: zoneLength, into: &out) { i, w in w.questionOwnedRecord(type: .ptr, ttl: ttl, target: targets[i]) }
    }

    /// The entry layout around answers that `writeAnswer(i, &writer)` writes one by one.
    private static func encodeEntry(
        type: RecordType, answerCount: Int, additional: [ResourceRecord], questionName: [UInt8], zoneLength: Int,
        into out: inout [UInt8], writeAnswer: (Int, inout WireWriter) -> Void
    ) {
        let questionEnd = 12 + questionName.count + 4
        var w = WireWriter(base: questionEnd, capacity: 64 * (answerCount + additional.count) + 16)
        w.questionName = questionName
        let zoneOffset = questionName.count - zoneLength
        if zoneOffset >= 0 {
            w.seed(name: questionName[zoneOffset...], at: 12 + zoneOffset)
        }
        // A reply cannot exceed 65535 bytes: records past that are left out (offsets stay 16-bit).
        let budget = DNSLimits.maxMessageSize - questionEnd
        var ends: [Int] = []
        var written = 0
        for i in 0..<answerCount {
            let before = w.count
            writeAnswer(i, &w)
            if w.count > budget { w.bytes.removeSubrange(before...); break }
            ends.append(w.count)
            written += 1
        }
        var additionalCount = 0
        for rr in additional where w.count < budget {
            let before = w.count
            w.record(rr)
            if w.count > budget { w.bytes.removeSubrange(before...); break }
            ends.append(w.count)
            additionalCount += 1
        }
        appendHeader(type: type, answers: written, additional: additionalCount, ends: ends, bodyLength: w.count, into: &out)
        out.append(contentsOf: w.bytes)
    }

    /// The entry's header: `type · answers · additional · records · end × records · length`, u16 each.
    private static func appendHeader(type: RecordType, answers: Int, additional: Int, ends: some Collection<Int>, bodyLength: Int,
                                     into out: inout [UInt8]) {
        func put(_ v: Int) {
            out.append(UInt8(truncatingIfNeeded: v >> 8))
            out.append(UInt8(truncatingIfNeeded: v))
        }
        put(Int(type.rawValue))
        put(answers)
        put(additional)
        put(ends.count)
        for e in ends { put(e) }
        put(bodyLength)
    }

    /// Appends the entry of `type` (A or AAAA) answering with the first `count` addresses of that
    /// family, owned by the question name: the bytes ``encodeEntry(type:answers:additional:questionName:zoneLength:into:)``
    /// writes for those records (owner as a pointer to the question, class IN), without a writer,
    /// a compression table or a record value per address.
    static func encodeAddressEntry(_ type: RecordType, _ addresses: ArraySlice<IPAddress>, count: Int, questionNameLength: Int,
                                   ttl: UInt32, into out: inout [UInt8]) {
        let recordLength = type == .a ? 16 : 28
        let budget = DNSLimits.maxMessageSize - (12 + questionNameLength + 4)
        let records = min(count, budget / recordLength)
        appendHeader(type: type, answers: records, additional: 0, ends: (0..<records).lazy.map { ($0 + 1) * recordLength },
                     bodyLength: records * recordLength, into: &out)
        var written = 0
        for address in addresses where written < records {
            switch (type, address) {
            case (.a, .v4(let a)):
                out.append(contentsOf: [0xC0, 0x0C, 0, 1, 0, 1])
                appendU32(ttl, to: &out)
                out.append(contentsOf: [0, 4])
                appendU32(a.value, to: &out)
            case (.aaaa, .v6(let a)):
                out.append(contentsOf: [0xC0, 0x0C, 0, 28, 0, 1])
                appendU32(ttl, to: &out)
                out.append(contentsOf: [0, 16])
                appendU32(UInt32(a.high >> 32), to: &out); appendU32(UInt32(truncatingIfNeeded: a.high), to: &out)
                appendU32(UInt32(a.low >> 32), to: &out); appendU32(UInt32(truncatingIfNeeded: a.low), to: &out)
            default: continue
            }
            written += 1
        }
    }

    @inline(__always) private static func appendU32(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(v >> 24))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v))
    }

    /// A standalone answer (for names answered at query time, such as pod names).
    static func make(
        type: RecordType, answers: [ResourceRecord], additional: [ResourceRecord] = [], questionName: [UInt8],
        zoneLength: Int
    ) -> Answer {
        Answer(
            storage: encodeEntry(
                type: type, answers: answers, additional: additional, questionName: questionName,
                zoneLength: zoneLength),
            start: 0)
    }
}

/// The zone's SOA record as it appears in the authority section of NXDOMAIN / NODATA replies, with
/// three pointers (owner, and the zone inside MNAME and RNAME) patched to where the zone sits in the
/// question.
struct SOATemplate: Sendable {
    let bytes: [UInt8]
    static let pointerPositions = [0, 19, 32]

    init(soa: SOAData, ttl: UInt32) {
        var w = WireWriter(capacity: 64)
        w.u16(0xC000)
        w.u16(RecordType.soa.rawValue)
        w.u16(RecordClass.internet.rawValue)
        w.u32(ttl)
        w.u16(7 + 2 + 11 + 2 + 20)
        w.bytes.append(contentsOf: [2, 110, 115, 3, 100, 110, 115])  // "ns.dns"
        w.u16(0xC000)
        w.bytes.append(10)
        w.bytes.append(contentsOf: Array("hostmaster".utf8))
        w.u16(0xC000)
        w.u32(soa.serial); w.u32(soa.refresh); w.u32(soa.retry); w.u32(soa.expire); w.u32(soa.minimum)
        bytes = w.bytes
    }

    /// Appends the record with its pointers aimed at `zoneOffset`.
    func write(into out: inout [UInt8], zoneOffset: Int) {
        let base = out.count
        out.append(contentsOf: bytes)
        for p in Self.pointerPositions {
            out[base + p] = UInt8(0xC0 | (zoneOffset >> 8))
            out[base + p + 1] = UInt8(truncatingIfNeeded: zoneOffset)
        }
    }
}
