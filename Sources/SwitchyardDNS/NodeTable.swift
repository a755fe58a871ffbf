/// Every name of a zone and its answers in one byte arena, found through an open-addressing table of
/// arena offsets. Per name this costs the name's bytes, its answers' bytes, a few header bytes and
/// two table slots — no object per name. A slot holds the offset and the upper half of the name's
/// hash, so a probe that lands on another name is told apart without reading the arena (perf: the
/// arena read per probe, a cache miss, was most of the lookup and 8% of a query's CPU).
///
/// Node layout at an offset: `name length u8 · lowercased wire name · origin u8 · answers length u32
/// · Answer entries`.
struct NodeTable: Sendable {
    private(set) var storage: [UInt8] = []
    /// `hash >> 32 << 32 | offset + 1`; 0 is empty.
    private var slots: [UInt64] = []
    private(set) var count = 0
    /// ExternalName targets outside the cluster zones, by node offset.
    private(set) var externalTargets: [Int: DNSName] = [:]

    /// The heap bytes its arena and slots hold (what freeing the table gives back).
    var heapBytes: Int { storage.capacity + slots.capacity * MemoryLayout<UInt64>.stride }

    /// Slots for `capacity` names, half of them used when full. The table is sized once by its
    /// builder (overlays take later writes), so its size is exactly twice the capacity, not the next
    /// power of two: at 1.1M names (10,000 × 100) a power of two held 4.2M slots (34 MB, a quarter
    /// used). More names than the capacity double it (``grow()``).
    init(capacity: Int) {
        slots = Array(repeating: 0, count: max(16, capacity * 2))
    }

    /// The slot a probe for `hash` starts at: its low 32 bits scaled to the table's size (the tag
    /// keeps the high 32).
    @inline(__always) private func home(of hash: UInt64) -> Int {
        Int(truncatingIfNeeded: ((hash & 0xffff_ffff) &* UInt64(slots.count)) >> 32)
    }

    /// The slot after `slot`, wrapping at the end.
    @inline(__always) private func next(after slot: Int) -> Int {
        slot + 1 == slots.count ? 0 : slot + 1
    }

    /// A name's hash: eight bytes at a time (a multiply and a rotation per word, the tail padded
    /// with zeros, the length in the seed), then murmur3's 64-bit finalizer, so both halves are
    /// well mixed (the table's home uses the low 32 bits, the tag and an overlay's home the high).
    /// perf, churn at 10,000 × 100: FNV-1a, a multiply per byte, hashed every name of the base
    /// again at each fold and every overlay name at each overlay growth.
    @inline(__always) static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h = 0x9e37_79b9_7f4a_7c15 &* UInt64(truncatingIfNeeded: bytes.count &+ 1)
        guard let start = bytes.baseAddress else { return finalized(h) }
        let raw = UnsafeRawPointer(start)
        var i = 0
        while i &+ 8 <= bytes.count {
            h = mixed(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i &+= 8
        }
        if i < bytes.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < bytes.count {
                tail |= UInt64(start[i]) &<< shift
                shift &+= 8
                i &+= 1
            }
            h = mixed(h, tail)
        }
        return finalized(h)
    }

    @inline(__always) private static func mixed(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let k = word &* 0x87c3_7b91_1142_53d5
        let x = h ^ (k &<< 31 | k &>> 33)
        return (x &<< 27 | x &>> 37) &* 0x4cf5_ad43_2745_937f &+ 0x52dc_e729
    }

    @inline(__always) private static func finalized(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h &>> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h &>> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h &>> 33
        return h
    }

    /// Appends one node in the arena layout to `storage`.
    static func appendNode(name: some Collection<UInt8>, origin: Int, blob: some Collection<UInt8>, to storage: inout [UInt8]) {
        storage.append(UInt8(name.count))
        storage.append(contentsOf: name)
        storage.append(UInt8(origin))
        let length = UInt32(blob.count)
        storage.append(contentsOf: [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                                    UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)])
        storage.append(contentsOf: blob)
    }

    /// The node at `offset` of an arena whose name is `length` bytes long.
    static func node(in storage: [UInt8], at offset: Int, nameLength: Int) -> ZoneNode {
        let after = offset + 1 + nameLength
        let length = blobLength(in: storage, after: after)
        return ZoneNode(storage: storage, offset: offset, origin: storage[after], blobStart: after + 5, blobEnd: after + 5 + length)
    }

    /// The answers' length of a node whose origin byte is at `after`: the layout's big-endian u32.
    @inline(__always) static func blobLength<Arena: RandomAccessCollection<UInt8>>(in arena: Arena, after: Int) -> Int
    where Arena.Index == Int {
        Int(arena[after + 1]) << 24 | Int(arena[after + 2]) << 16 | Int(arena[after + 3]) << 8 | Int(arena[after + 4])
    }

    /// Every name of the table with its node (tests and tools; not the query path).
    func allNodes() -> [(name: [UInt8], node: ZoneNode)] {
        slots.filter { $0 != 0 }.map { slot in
            let offset = Self.offset(of: slot)
            let length = Int(storage[offset])
            return (Array(storage[(offset + 1)..<(offset + 1 + length)]), Self.node(in: storage, at: offset, nameLength: length))
        }
    }

    /// Gives the arena exactly the capacity it uses: it grew by doubling while the zone was built,
    /// and the zone keeps it for its lifetime (heaptrack: 34 MB of arena at 10,000 Services, half unused).
    mutating func shrinkToFit() {
        storage = storage.withUnsafeBufferPointer { Array($0) }
    }

    /// Adds a name (must be new) with its answers blob.
    mutating func insert(name: [UInt8], origin: Int, blob: [UInt8], externalTarget: DNSName?) {
        name.withUnsafeBufferPointer { insert(name: $0, hash: Self.hash($0), origin: origin, blob: blob, externalTarget: externalTarget) }
    }

    /// Adds a name (must be new) whose ``hash(_:)`` is `hash` with its answers blob.
    mutating func insert(name: UnsafeBufferPointer<UInt8>, hash: UInt64, origin: Int, blob: [UInt8], externalTarget: DNSName?) {
        let offset = storage.count
        Self.appendNode(name: name, origin: origin, blob: blob, to: &storage)
        index(offset: offset, hash: hash, externalTarget: externalTarget)
    }

    /// The table of `base` with `overlay`'s names written over it (nil: the name is gone): every
    /// live node's bytes copied once into one arena sized up front. Folding an overlay in this way
    /// costs a copy of the arena, not a rebuild of the zone from the cluster (which held a second
    /// zone's drafts: +125 MiB at 10,000 Services, ~1 s of CPU).
    init(merging base: NodeTable, overlay: OverlayTable, count: Int) {
        self.init(capacity: count)
        // Exactly the bytes the merged table holds: the overlay's arena also holds the names it
        // removed and the answers it rewrote elsewhere, and the table keeps its capacity for its
        // lifetime (heaptrack over a churn: 4.7 MB more than a built zone after each fold).
        var size = base.storage.count
        overlay.forEachName { name, hash, liveBytes in
            if let offset = base.nodeOffset(of: name, hash: hash) { size -= base.nodeSize(at: offset) }
            size += liveBytes ?? 0
        }
        storage.reserveCapacity(size)
        // The arena in order (every node in a table's arena is live: removals live in overlays),
        // not through the slots: sequential reads instead of a cache miss per node.
        base.storage.withUnsafeBufferPointer { arena in
            var next = 0
            while next < arena.count {
                let offset = next
                let nameLength = Int(arena[offset])
                let name = UnsafeBufferPointer(rebasing: arena[(offset + 1)..<(offset + 1 + nameLength)])
                let after = offset + 1 + nameLength
                let end = after + 5 + Self.blobLength(in: arena, after: after)
                next = end
                let hash = Self.hash(name)
                if overlay.contains(name, hash: hash) { continue }
                place(node: UnsafeBufferPointer(rebasing: arena[offset..<end]), hash: hash,
                      externalTarget: base.externalTargets.isEmpty ? nil : base.externalTargets[offset])
            }
        }
        overlay.forEachNode { node, hash, target in place(node: node, hash: hash, externalTarget: target) }
    }

    /// Appends a node already in the arena layout and indexes it under `hash`.
    private mutating func place(node: UnsafeBufferPointer<UInt8>, hash: UInt64, externalTarget: DNSName?) {
        let offset = storage.count
        storage.append(contentsOf: node)
        index(offset: offset, hash: hash, externalTarget: externalTarget)
    }

    /// Indexes the node just appended at `offset` under `hash`.
    private mutating func index(offset: Int, hash: UInt64, externalTarget: DNSName?) {
        if let externalTarget { externalTargets[offset] = externalTarget }
        if (count + 1) * 2 > slots.count { grow() }
        var i = home(of: hash)
        while slots[i] != 0 { i = next(after: i) }
        slots[i] = Self.tag(of: hash) | UInt64(offset + 1)
        count += 1
    }

    /// Doubles the slots when more names come than the capacity given (the table stays at most half
    /// full), re-homing every name by its hash, which the arena's name gives again.
    private mutating func grow() {
        let recorded = slots.filter { $0 != 0 }
        slots = Array(repeating: 0, count: slots.count * 2)
        storage.withUnsafeBufferPointer { arena in
            for slot in recorded {
                let offset = Self.offset(of: slot)
                let name = UnsafeBufferPointer(rebasing: arena[(offset + 1)..<(offset + 1 + Int(arena[offset]))])
                var i = home(of: Self.hash(name))
                while slots[i] != 0 { i = next(after: i) }
                slots[i] = slot
            }
        }
    }

    /// The node of a lowercased wire name.
    func find(_ name: [UInt8]) -> ZoneNode? {
        find(name, hash: name.withUnsafeBufferPointer { Self.hash($0) })
    }

    /// The node of a lowercased wire name whose ``hash(_:)`` is `hash`.
    func find(_ name: [UInt8], hash: UInt64) -> ZoneNode? {
        name.withUnsafeBufferPointer { query in
            nodeOffset(of: query, hash: hash).map { Self.node(in: storage, at: $0, nameLength: query.count) }
        }
    }

    /// The arena offset of the node of a lowercased wire name whose ``hash(_:)`` is `hash`.
    func nodeOffset(of query: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        storage.withUnsafeBufferPointer { arena -> Int? in
            let tag = Self.tag(of: hash)
            var i = home(of: hash)
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                let offset = Self.offset(of: slot)
                if slot & Self.tagMask == tag, Int(arena[offset]) == query.count, Self.equal(arena, at: offset + 1, query) {
                    return offset
                }
                i = next(after: i)
            }
        }
    }

    /// The bytes of the node at `offset` (name, origin, answers' length and answers).
    func nodeSize(at offset: Int) -> Int {
        let after = offset + 1 + Int(storage[offset])
        return after + 5 + Self.blobLength(in: storage, after: after) - offset
    }

    static let tagMask: UInt64 = 0xffff_ffff_0000_0000

    /// The part of a name's hash a slot keeps (the slot index already holds its low bits).
    @inline(__always) static func tag(of hash: UInt64) -> UInt64 { hash & tagMask }

    /// The arena offset a non-empty slot points at.
    @inline(__always) static func offset(of slot: UInt64) -> Int { Int(truncatingIfNeeded: slot & ~tagMask) - 1 }

    @inline(__always) static func equal(
        _ arena: UnsafeBufferPointer<UInt8>, at start: Int, _ query: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        for i in 0..<query.count where arena[start + i] != query[i] { return false }
        return true
    }

    func externalTarget(of node: ZoneNode) -> DNSName? {
        externalTargets.isEmpty ? nil : externalTargets[node.offset]
    }
}


/// One name found in a zone: where its answers are in the arena.
struct ZoneNode {
    let storage: [UInt8]
    let offset: Int
    /// Index into `DNSZone.origins`.
    let origin: UInt8
    let blobStart: Int
    let blobEnd: Int
    /// Found in a ``ZoneIndex`` overlay (its target travels with it, not in the base's map).
    var isOverlay = false
    var overlayTarget: DNSName?
    /// The ``ZoneIndex`` shard whose base holds it (its ExternalName target is there).
    var shard = 0

    func answer(for type: RecordType) -> Answer? {
        var start = blobStart
        while start < blobEnd {
            let answer = Answer(storage: storage, start: start)
            if answer.type == type.rawValue { return answer }
            start += answer.entryLength
        }
        return nil
    }
}
