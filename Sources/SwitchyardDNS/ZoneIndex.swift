/// One write to a zone's overlay: where its entry is in that overlay's arena, so that it can be
/// replayed on the other copy (``IncrementalZone`` alternates between two).
struct OverlayWrite: Sendable {
    let offset: Int
    /// The name's ``NodeTable/hash(_:)``, so the replay does not hash it again.
    let hash: UInt64
    /// How the zone's name count changed.
    let countChange: Int
}

/// The names a zone answers from: a ``NodeTable`` built in one pass (the base), shared by every zone
/// until the next rebuild, and an overlay of the names changed since (``OverlayTable``), so that
/// publishing a change costs O(changed names). A lookup checks the overlay (empty most of the time
/// right after a rebuild), then the base. ``IncrementalZone`` writes into the copy no query holds
/// any more instead of copying paths of a persistent map (perf: path copies and their release were
/// ~8% of the daemon's samples under churn). The overlay is folded into a new base when it grows
/// past a fraction of it (``needsCompaction(floor:)``, ``compacted()``).
struct ZoneIndex: Sendable {
    let base: NodeTable
    private(set) var overlay = OverlayTable()
    /// Names the overlay holds beyond the base (added minus removed), for ``count``.
    private var countDelta = 0

    init(base: NodeTable) {
        self.base = base
    }

    /// The node of a lowercased wire name.
    @inline(__always) func find(_ name: [UInt8]) -> ZoneNode? {
        overlay.isEmpty ? base.find(name) : find(name, hash: name.withUnsafeBufferPointer { NodeTable.hash($0) })
    }

    private func find(_ name: [UInt8], hash: UInt64) -> ZoneNode? {
        switch overlay.entry(name, hash: hash) {
        case .removed: nil
        case .node(let node): node
        case nil: base.find(name, hash: hash)
        }
    }

    func externalTarget(of node: ZoneNode) -> DNSName? {
        node.isOverlay ? node.overlayTarget : base.externalTarget(of: node)
    }

    /// Sets a name's node (nil: the name is gone) and returns the write, or nil when nothing
    /// changed: a node equal to the one in place is not written, so the overlay grows with what
    /// really changed, not with what a partial build re-made.
    @discardableResult
    mutating func set(_ name: [UInt8], origin: Int, blob: [UInt8]?, externalTarget: DNSName?) -> OverlayWrite? {
        let hash = name.withUnsafeBufferPointer { NodeTable.hash($0) }
        let current = find(name, hash: hash)
        if let current, let blob, Int(current.origin) == origin, externalTarget == self.externalTarget(of: current),
           current.blobEnd - current.blobStart == blob.count,
           current.storage[current.blobStart..<current.blobEnd].elementsEqual(blob) {
            return nil
        }
        guard blob != nil || current != nil else { return nil }
        let countChange = blob == nil ? -1 : (current == nil ? 1 : 0)
        reserveOverlayIfEmpty()
        let offset = overlay.write(name, hash: hash, origin: origin, blob: blob, externalTarget: blob == nil ? nil : externalTarget)
        countDelta += countChange
        return OverlayWrite(offset: offset, hash: hash, countChange: countChange)
    }

    /// Applies a write that ``set(_:origin:blob:externalTarget:)`` made on `source`, an index in the
    /// same state as this one.
    mutating func replay(_ write: OverlayWrite, from source: ZoneIndex) {
        reserveOverlayIfEmpty()
        overlay.copy(from: source.overlay, at: write.offset, hash: write.hash)
        countDelta += write.countChange
    }

    /// Sizes an empty overlay for what it holds when ``needsCompaction(floor:)`` folds it (a
    /// sixteenth of the base more: the write that crosses the limit lands first).
    private mutating func reserveOverlayIfEmpty() {
        guard overlay.isEmpty else { return }
        let share = baseShare
        overlay.reserve(bytes: share.bytes + share.bytes / 4, names: share.names + share.names / 4)
    }

    /// How many names exist.
    var count: Int { base.count + countDelta }

    /// Bytes held by names and answers (base arena plus overlay entries).
    var storageBytes: Int { base.storage.count + overlay.arena.count }

    /// True when the overlay has grown enough that a fresh base is cheaper than carrying it: in
    /// names, or in bytes (names written again leave their old entries in the arena).
    func needsCompaction(floor: Int) -> Bool {
        let share = baseShare
        return overlay.count > max(floor, share.names) || overlay.arena.count > max(floor * 128, share.bytes)
    }

    /// The part of the base an overlay may grow to before it is folded: a quarter of its names and bytes.
    private var baseShare: (names: Int, bytes: Int) { (base.count / 4, base.storage.count / 4) }

    /// The same names with the overlay folded into a new base (an empty overlay).
    func compacted() -> ZoneIndex {
        ZoneIndex(base: NodeTable(merging: base, overlay: overlay, count: count))
    }

    /// Every existing name with its node (tests and tools; not the query path).
    func allNodes() -> [(name: [UInt8], node: ZoneNode)] {
        let written = overlay.allNames()
        return base.allNodes().filter { !written.contains($0.name) } + written.compactMap { name in
            guard case .node(let node) = overlay.entry(name, hash: name.withUnsafeBufferPointer { NodeTable.hash($0) }) else { return nil }
            return (name, node)
        }
    }
}

extension ZoneNode {
    /// The node as found in the overlay, carrying its ExternalName target itself.
    func overlaid(target: DNSName?) -> ZoneNode {
        var node = self
        node.isOverlay = true
        node.overlayTarget = target
        return node
    }
}
