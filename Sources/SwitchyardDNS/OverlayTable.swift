/// The names a zone changed since its base table was built (``ZoneIndex``'s overlay), stored as the
/// base is: every write appended to one byte arena in ``NodeTable``'s node layout — a removed name as
/// its name with ``removedOrigin`` and no answers — and found through an open-addressing table of
/// slots (hash tag and offset). A name written again is rewritten in place when its answers fit;
/// otherwise it gets a new entry, its slot moves there and the old bytes stay until the overlay is
/// folded into a new base, which ``ZoneIndex`` also triggers on the arena's size. A write costs its node's bytes: the dictionary this replaces held two arrays
/// and a dictionary entry per changed name (~290 bytes, two allocations), and under churn its two
/// copies grew to ~26 MB between folds at 10,000 Services.
struct OverlayTable: Sendable {
    /// The origin byte of a removed name's entry (a zone has a handful of origins).
    static let removedOrigin: UInt8 = 0xFF

    /// What the overlay says about a name.
    enum Entry {
        /// The name no longer exists.
        case removed
        /// The name's current node.
        case node(ZoneNode)
    }

    /// Every write, in order.
    private(set) var arena: [UInt8] = []
    /// `NodeTable`'s slot format (hash tag | offset + 1; 0 is empty), at most half full, a power of
    /// two. A name's home is the top bits of its hash, which the tag keeps: growing re-homes every
    /// slot from the slot alone (perf, churn at 10,000 × 100: re-hashing each name from the arena
    /// at every doubling after a fold was 2.2% of the daemon's samples).
    private var slots: [UInt64] = []
    /// log2 of `slots.count` (0 while empty).
    private var slotBits = 0
    /// Distinct names written (removed ones included).
    private(set) var count = 0
    /// ExternalName targets outside the cluster zones, by entry offset.
    private var targets: [Int: DNSName] = [:]

    var isEmpty: Bool { count == 0 }

    /// Sizes the arena for `bytes` and the slots for `names` up front (a fresh overlay, before its
    /// first write), so that it fills without doubling: each doubling left the previous block free
    /// in the heap.
    mutating func reserve(bytes: Int, names: Int) {
        guard slots.isEmpty else { return }
        arena.reserveCapacity(bytes)
        slotBits = max(4, Int.bitWidth - (max(1, names) * 2 - 1).leadingZeroBitCount)
        slots = Array(repeating: 0, count: 1 << slotBits)
    }

    /// The entry of a lowercased wire name whose ``NodeTable/hash(_:)`` is `hash`; nil when the
    /// overlay has not written it.
    func entry(_ name: [UInt8], hash: UInt64) -> Entry? {
        guard let offset = name.withUnsafeBufferPointer({ find($0, hash: hash).offset }) else { return nil }
        let after = offset + 1 + name.count
        if arena[after] == Self.removedOrigin { return .removed }
        var node = NodeTable.node(in: arena, at: offset, nameLength: name.count)
        node.isOverlay = true
        node.overlayTarget = targets.isEmpty ? nil : targets[offset]
        return .node(node)
    }

    /// Whether the overlay has written a name (the fold skips such names of the base).
    func contains(_ name: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Bool {
        find(name, hash: hash).offset != nil
    }

    /// Writes a name's node (`blob` nil: the name is removed); returns the entry's offset. A name
    /// already written whose entry has room for the new answers is rewritten in place (this table
    /// is never written while a query holds it: ``IncrementalZone`` writes the copy no zone in use
    /// shares); otherwise a new entry is appended and the old one left for the fold.
    @discardableResult
    mutating func write(_ name: [UInt8], hash: UInt64, origin: Int, blob: [UInt8]?, externalTarget: DNSName?) -> Int {
        precondition(blob == nil || origin < Int(Self.removedOrigin), "a zone has fewer than 255 origins")
        return name.withUnsafeBufferPointer { name in
            (blob ?? []).withUnsafeBufferPointer { answers in
                write(name, hash: hash, origin: blob == nil ? Self.removedOrigin : UInt8(origin), answers: answers,
                      externalTarget: externalTarget)
            }
        }
    }

    /// ``write(_:hash:origin:blob:externalTarget:)`` with the origin byte as stored (a removed
    /// name: ``removedOrigin`` and no answers).
    @discardableResult
    private mutating func write(_ name: UnsafeBufferPointer<UInt8>, hash: UInt64, origin: UInt8, answers: UnsafeBufferPointer<UInt8>,
                                externalTarget: DNSName?) -> Int {
        if let existing = find(name, hash: hash).offset, rewrite(at: existing, nameLength: name.count, origin: origin, blob: answers) {
            targets[existing] = externalTarget
            return existing
        }
        let offset = arena.count
        NodeTable.appendNode(name: name, origin: Int(origin), blob: answers, to: &arena)
        if let externalTarget { targets[offset] = externalTarget }
        place(offset: offset, hash: hash)
        return offset
    }

    /// Writes an entry's origin and answers over it when they fit in its bytes; false otherwise.
    private mutating func rewrite(at offset: Int, nameLength: Int, origin: UInt8, blob: UnsafeBufferPointer<UInt8>) -> Bool {
        let after = offset + 1 + nameLength
        guard blob.count <= NodeTable.blobLength(in: arena, after: after) else { return false }
        arena.withUnsafeMutableBufferPointer { arena in
            arena[after] = origin
            let length = UInt32(blob.count)
            arena[after + 1] = UInt8(length >> 24)
            arena[after + 2] = UInt8(truncatingIfNeeded: length >> 16)
            arena[after + 3] = UInt8(truncatingIfNeeded: length >> 8)
            arena[after + 4] = UInt8(truncatingIfNeeded: length)
            if let source = blob.baseAddress, !blob.isEmpty {
                UnsafeMutableRawPointer(arena.baseAddress! + after + 5).copyMemory(from: source, byteCount: blob.count)
            }
        }
        return true
    }

    /// Writes the entry at `offset` of another overlay (the other copy of a left-right pair) here;
    /// `hash` is its name's. Straight from that overlay's bytes (perf, churn at 10,000 × 100: an
    /// array for the name and one for the answers per replayed write, and the name hashed again).
    mutating func copy(from other: OverlayTable, at offset: Int, hash: UInt64) {
        other.arena.withUnsafeBufferPointer { source in
            let after = offset + 1 + Int(source[offset])
            let end = after + 5 + NodeTable.blobLength(in: source, after: after)
            let origin = source[after]
            write(UnsafeBufferPointer(rebasing: source[(offset + 1)..<after]), hash: hash, origin: origin,
                  answers: UnsafeBufferPointer(rebasing: source[(origin == Self.removedOrigin ? end : after + 5)..<end]),
                  externalTarget: other.targets.isEmpty ? nil : other.targets[offset])
        }
    }

    /// Calls `body` with each name's current node bytes (removed names skipped), its hash and target.
    func forEachNode(_ body: (UnsafeBufferPointer<UInt8>, UInt64, DNSName?) -> Void) {
        forEachEntry { offset, node, name, removed in
            guard !removed else { return }
            body(node, NodeTable.hash(name), targets.isEmpty ? nil : targets[offset])
        }
    }

    /// Calls `body` with each name written (removed ones included), its hash, and the bytes of its
    /// current node (nil for a removed name).
    func forEachName(_ body: (UnsafeBufferPointer<UInt8>, UInt64, Int?) -> Void) {
        forEachEntry { _, node, name, removed in body(name, NodeTable.hash(name), removed ? nil : node.count) }
    }

    /// Each name's current entry: its offset, its node's bytes, its name's bytes, whether it is removed.
    private func forEachEntry(_ body: (Int, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Bool) -> Void) {
        arena.withUnsafeBufferPointer { arena in
            for slot in slots where slot != 0 {
                let offset = NodeTable.offset(of: slot)
                let after = offset + 1 + Int(arena[offset])
                let end = after + 5 + NodeTable.blobLength(in: arena, after: after)
                body(offset, UnsafeBufferPointer(rebasing: arena[offset..<end]), UnsafeBufferPointer(rebasing: arena[(offset + 1)..<after]),
                     arena[after] == Self.removedOrigin)
            }
        }
    }

    /// Every name written, removed ones included (tests and tools).
    func allNames() -> Set<[UInt8]> {
        Set(slots.filter { $0 != 0 }.map { slot in
            let offset = NodeTable.offset(of: slot)
            return Array(arena[(offset + 1)..<(offset + 1 + Int(arena[offset]))])
        })
    }

    /// The slot of a name: where it is (`offset` set) or where it would go.
    private func find(_ name: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (slot: Int, offset: Int?) {
        guard !slots.isEmpty else { return (0, nil) }
        return arena.withUnsafeBufferPointer { arena in
            let mask = slots.count - 1
            let tag = NodeTable.tag(of: hash)
            var i = home(of: hash)
            while true {
                let slot = slots[i]
                if slot == 0 { return (i, nil) }
                let offset = NodeTable.offset(of: slot)
                if slot & NodeTable.tagMask == tag, Int(arena[offset]) == name.count, NodeTable.equal(arena, at: offset + 1, name) {
                    return (i, offset)
                }
                i = (i + 1) & mask
            }
        }
    }

    /// Points the name's slot at the entry just appended at `offset` (a new slot for a new name).
    private mutating func place(offset: Int, hash: UInt64) {
        if (count + 1) * 2 > slots.count { grow() }
        let nameLength = Int(arena[offset])
        let (slot, existing) = arena.withUnsafeBufferPointer { arena in
            find(UnsafeBufferPointer(rebasing: arena[(offset + 1)..<(offset + 1 + nameLength)]), hash: hash)
        }
        if let existing {
            targets[existing] = nil
        } else {
            count += 1
        }
        slots[slot] = NodeTable.tag(of: hash) | UInt64(offset + 1)
    }

    /// The slot a probe for `hash` (or a slot's tag) starts at: its top `slotBits` bits.
    @inline(__always) private func home(of hash: UInt64) -> Int {
        Int(truncatingIfNeeded: hash &>> UInt64(64 - slotBits))
    }

    /// Doubles the slots (16 at first), re-homing every slot by its tag.
    private mutating func grow() {
        let old = slots
        slotBits = max(4, slotBits + 1)
        precondition(slotBits <= 32, "an overlay's home comes from the 32-bit tag")
        slots = Array(repeating: 0, count: 1 << slotBits)
        let mask = slots.count - 1
        for slot in old where slot != 0 {
            var i = home(of: slot)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}
