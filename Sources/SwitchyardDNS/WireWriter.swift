import SwitchyardModel

/// Appends DNS wire data, compressing names (RFC 1035 §4.1.4).
///
/// `base` is the absolute message offset of `bytes[0]`, so the writer can build a fragment (an answer
/// template) that is later placed after a header and question of known length. The compression table
/// is keyed by lowercased suffix and may be seeded with suffixes already present before `base`.
struct WireWriter {
    var bytes: [UInt8] = []
    let base: Int
    /// Lowercased wire suffix → absolute offset of its first byte.
    private var compression = CompressionTable()
    /// Owner names equal to this (lowercased) name are written as a pointer to the question (offset 12).
    var questionName: [UInt8]?

    init(base: Int = 0, capacity: Int = 512) {
        self.base = base
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }
    var absoluteOffset: Int { base + bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    mutating func patch16(at index: Int, _ v: UInt16) {
        bytes[index] = UInt8(v >> 8)
        bytes[index + 1] = UInt8(truncatingIfNeeded: v)
    }

    /// Makes every suffix of `name` (lowercased wire bytes) found at absolute `offset` available for
    /// compression; before anything is written (the question's name).
    mutating func seed(name: ArraySlice<UInt8>, at offset: Int) {
        SuffixKey.forEachSuffix(of: name) { i, suffix in
            guard offset + i < 0x3FFF else { return false }
            compression.add(suffix, UInt16(offset + i))
            return true
        }
    }

    /// Writes a name, compressed against what was written (or seeded) before unless `compress` is false.
    mutating func name(_ name: DNSName, compress: Bool = true) {
        let wire = name.wire
        self.name(wire: wire[...], lowercased: DNSName.lowercase(wire)[...], compress: compress)
    }

    /// Writes a wire name given with its lowercased bytes (the same bytes when it is lowercase).
    private mutating func name(wire: ArraySlice<UInt8>, lowercased: ArraySlice<UInt8>, compress: Bool) {
        var pointed = false
        SuffixKey.forEachSuffix(of: lowercased) { position, suffix in
            let i = wire.startIndex + position
            let pointer = compression[suffix]
            if compress, let pointer {
                u16(0xC000 | pointer)
                pointed = true
                return false
            }
            // Uncompressed names (SRV targets) may still be pointed at by later names.
            let here = absoluteOffset
            if here < 0x3FFF, pointer == nil { compression.add(suffix, UInt16(here)) }
            bytes.append(contentsOf: wire[i...(i + Int(wire[i]))])
            return true
        }
        if !pointed { bytes.append(0) }
    }

    /// Writes a record owned by the question name (a pointer to offset 12) whose data is one name,
    /// `target` (lowercased wire bytes): a PTR or CNAME without a record value.
    mutating func questionOwnedRecord(type: RecordType, ttl: UInt32, target: ArraySlice<UInt8>) {
        u16(0xC00C)
        u16(type.rawValue)
        u16(RecordClass.internet.rawValue)
        u32(ttl)
        let lengthAt = bytes.count
        u16(0)
        name(wire: target, lowercased: target, compress: true)
        patch16(at: lengthAt, UInt16(bytes.count - lengthAt - 2))
    }

    /// Writes one record. In the answer section an owner equal to `questionName` becomes a pointer to
    /// the question, which echoes the query's case.
    mutating func record(_ rr: ResourceRecord, ownerMayBeQuestion: Bool = false) {
        if ownerMayBeQuestion, let q = questionName, rr.name.wire.count == q.count,
           DNSName.lowercase(rr.name.wire) == q {
            u16(0xC00C)
        } else {
            name(rr.name)
        }
        u16(rr.type.rawValue)
        u16(rr.recordClass.rawValue)
        u32(rr.ttl)
        let lengthAt = bytes.count
        u16(0)
        rdata(rr.data)
        patch16(at: lengthAt, UInt16(bytes.count - lengthAt - 2))
    }

    private mutating func rdata(_ data: RData) {
        switch data {
        case .a(let a): u32(a.value)
        case .aaaa(let a):
            u32(UInt32(a.high >> 32)); u32(UInt32(truncatingIfNeeded: a.high))
            u32(UInt32(a.low >> 32)); u32(UInt32(truncatingIfNeeded: a.low))
        case .cname(let n), .ptr(let n), .ns(let n): name(n)
        case .srv(let priority, let weight, let port, let target):
            u16(priority); u16(weight); u16(port)
            // RFC 2782: the target is not compressed.
            name(target, compress: false)
        case .txt(let strings):
            for s in strings {
                let chunk = s.prefix(255)
                u8(UInt8(chunk.count))
                bytes.append(contentsOf: chunk)
            }
        case .soa(let soa):
            name(soa.mname); name(soa.rname)
            u32(soa.serial); u32(soa.refresh); u32(soa.retry); u32(soa.expire); u32(soa.minimum)
        case .unknown(_, let raw): bytes.append(contentsOf: raw)
        }
    }

    /// Writes an OPT pseudo-record.
    mutating func opt(_ edns: EDNS, extendedRCode: UInt8) {
        u8(0)
        u16(RecordType.opt.rawValue)
        u16(max(edns.udpPayloadSize, UInt16(DNSLimits.classicUDPSize)))
        u32(UInt32(extendedRCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
        let lengthAt = bytes.count
        u16(0)
        for option in edns.options {
            u16(option.code)
            u16(UInt16(option.data.count))
            bytes.append(contentsOf: option.data)
        }
        patch16(at: lengthAt, UInt16(bytes.count - lengthAt - 2))
    }
}

extension DNSMessage {
    /// Encodes the message with name compression. When it exceeds `maxSize`, records that do not fit
    /// are dropped from the end (answers, then authority, then additional) and TC is set when answer
    /// or authority records were dropped. The OPT record is always kept.
    public func encoded(maxSize: Int = DNSLimits.maxMessageSize) -> [UInt8] {
        var w = WireWriter(capacity: 512)
        w.u16(id)
        w.u16(0)  // flags, patched below
        w.u16(UInt16(questions.count))
        w.u16(0); w.u16(0); w.u16(0)
        for q in questions {
            w.name(q.name)
            w.u16(q.type.rawValue)
            w.u16(q.recordClass.rawValue)
        }
        var optBytes: [UInt8] = []
        if let edns {
            var o = WireWriter(capacity: 16)
            o.opt(edns, extendedRCode: rcode.extendedBits)
            optBytes = o.bytes
        }
        let limit = max(maxSize, DNSLimits.classicUDPSize) - optBytes.count
        var counts = [0, 0, 0]
        var dropped = [false, false, false]
        var full = w.count > limit
        for (index, section) in [answers, authority, additional].enumerated() {
            for rr in section {
                if full { dropped[index] = true; continue }
                let before = w.count
                w.record(rr)
                if w.count > limit {
                    // Compression entries left pointing past the end are never used: nothing more is written.
                    w.bytes.removeSubrange(before...)
                    full = true
                    dropped[index] = true
                } else {
                    counts[index] += 1
                }
            }
        }
        var f = flags
        if dropped[0] || dropped[1] { f.truncated = true }
        w.patch16(at: 2, f.word(rcode: rcode))
        w.patch16(at: 6, UInt16(counts[0]))
        w.patch16(at: 8, UInt16(counts[1]))
        w.patch16(at: 10, UInt16(counts[2] + (edns == nil ? 0 : 1)))
        w.bytes.append(contentsOf: optBytes)
        return w.bytes
    }
}

/// A name suffix as a compression-table key, hashed once as one block of bytes.
struct SuffixKey: Hashable {
    let bytes: ArraySlice<UInt8>
    /// FNV-1a over the suffix's labels taken from the root up (each label's bytes in order), so
    /// every suffix of a name is hashed in one pass (perf, zone build at 10,000 × 100: hashing each
    /// suffix from its start was most of `WireWriter.name`, 16% of the build).
    let fnv: UInt64

    private init(bytes: ArraySlice<UInt8>, fnv: UInt64) {
        self.bytes = bytes
        self.fnv = fnv
    }

    private static let root: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Calls `body` with the position and key of each suffix of a lowercased wire name, longest
    /// first (the root alone excluded), until it returns false.
    static func forEachSuffix(of name: ArraySlice<UInt8>, _ body: (Int, SuffixKey) -> Bool) {
        withUnsafeTemporaryAllocation(of: (start: Int, hash: UInt64).self, capacity: 128) { labels in
            var count = 0
            var i = name.startIndex
            while i < name.endIndex, name[i] != 0, count < labels.count {
                labels[count].start = i
                count += 1
                i += 1 + Int(name[i])
            }
            var h = root
            for k in stride(from: count - 1, through: 0, by: -1) {
                let start = labels[k].start
                for b in name[start...(start + Int(name[start]))] { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
                labels[k].hash = h
            }
            for k in 0..<count {
                let start = labels[k].start
                if !body(start - name.startIndex, SuffixKey(bytes: name[start...], fnv: labels[k].hash)) { return }
            }
        }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(fnv)
    }

    static func == (lhs: SuffixKey, rhs: SuffixKey) -> Bool { lhs.fnv == rhs.fnv && lhs.bytes.elementsEqual(rhs.bytes) }
}

/// The compression table of one message or answer: a short list scanned by hash while it is small
/// (most answers hold a few names), a dictionary beyond. Perf: a dictionary per encoded answer,
/// grown from empty, was half of `Answer.encodeEntry` in a zone build (resizes and Hasher).
struct CompressionTable {
    private var entries: [(key: SuffixKey, offset: UInt16)] = []
    /// The entries by hash, once there are more than ``linearLimit``.
    private var index: HashedSlots?
    /// Past this many suffixes the table is searched by hash.
    static let linearLimit = 24

    subscript(key: SuffixKey) -> UInt16? {
        if let index {
            return index.find(hash: key.fnv) { entries[$0].key == key }.map { entries[$0].offset }
        }
        for entry in entries where entry.key == key { return entry.offset }
        return nil
    }

    /// Adds a suffix that is not in the table yet (callers have just looked it up, or seed the
    /// distinct suffixes of one name into an empty table).
    mutating func add(_ key: SuffixKey, _ offset: UInt16) {
        entries.append((key, offset))
        if index != nil {
            index!.insert(entries.count - 1, hash: key.fnv)
        } else if entries.count > Self.linearLimit {
            var slots = HashedSlots(capacity: 4 * Self.linearLimit)
            for (position, entry) in entries.enumerated() { slots.insert(position, hash: entry.key.fnv) }
            index = slots
        }
    }
}
