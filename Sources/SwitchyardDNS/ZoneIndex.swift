/// One name changed since the base table was built: its node in a small arena of its own, or nil
/// when the name no longer exists.
struct OverlayNode: Sendable {
    /// One node in the ``NodeTable`` arena layout, at offset 0.
    let storage: [UInt8]
    let nameLength: Int
    let externalTarget: DNSName?
}

/// One write to a zone's overlay, kept so that it can be replayed on the other copy
/// (``IncrementalZone`` alternates between two).
struct OverlayWrite: Sendable {
    let key: NameKey
    /// The name's new node; nil when the name is gone.
    let entry: OverlayNode?
    /// How the zone's name count changed.
    let countChange: Int
}

/// The names a zone answers from: a ``NodeTable`` built in one pass (the base), shared by every zone
/// until the next rebuild, and an overlay of the names changed since, so that publishing a change
/// costs O(changed names). A lookup checks the overlay (empty most of the time right after a
/// rebuild), then the base. The overlay is a plain dictionary: ``IncrementalZone`` writes into the
/// copy no query holds any more instead of copying paths of a persistent map (perf: path copies
/// and their release were ~8% of the daemon's samples under churn). The overlay is folded into a
/// new base when it grows past a fraction of it (``needsCompaction(floor:)``, ``compacted()``).
struct ZoneIndex: Sendable {
    let base: NodeTable
    private(set) var overlay: [NameKey: OverlayNode?] = [:]
    /// Names the overlay holds beyond the base (added minus removed), for ``count``.
    private var countDelta = 0

    init(base: NodeTable) {
        self.base = base
    }

    /// The node of a lowercased wire name.
    @inline(__always) func find(_ name: [UInt8]) -> ZoneNode? {
        overlay.isEmpty ? base.find(name) : find(NameKey(name))
    }

    private func find(_ key: NameKey) -> ZoneNode? {
        if let entry = overlay[key] {
            guard let entry else { return nil }
            return NodeTable.node(in: entry.storage, at: 0, nameLength: entry.nameLength).overlaid(target: entry.externalTarget)
        }
        return base.find(key.bytes, hash: key.fnv)
    }

    func externalTarget(of node: ZoneNode) -> DNSName? {
        node.isOverlay ? node.overlayTarget : base.externalTarget(of: node)
    }

    /// Sets a name's node (nil: the name is gone) and returns the write, or nil when nothing
    /// changed: a node equal to the one in place is not written, so the overlay grows with what
    /// really changed, not with what a partial build re-made.
    @discardableResult
    mutating func set(_ name: [UInt8], origin: Int, blob: [UInt8]?, externalTarget: DNSName?) -> OverlayWrite? {
        let key = NameKey(name)
        let current = find(key)
        let existed = current != nil
        if let current, let blob, Int(current.origin) == origin, externalTarget == self.externalTarget(of: current),
           current.blobEnd - current.blobStart == blob.count,
           current.storage[current.blobStart..<current.blobEnd].elementsEqual(blob) {
            return nil
        }
        let write: OverlayWrite
        if let blob {
            var storage: [UInt8] = []
            storage.reserveCapacity(name.count + 6 + blob.count)
            NodeTable.appendNode(name: name, origin: origin, blob: blob, to: &storage)
            write = OverlayWrite(key: key, entry: OverlayNode(storage: storage, nameLength: name.count, externalTarget: externalTarget),
                                 countChange: existed ? 0 : 1)
        } else if existed {
            write = OverlayWrite(key: key, entry: nil, countChange: -1)
        } else {
            return nil
        }
        replay(write)
        return write
    }

    /// Applies a write made by ``set(_:origin:blob:externalTarget:)`` on an index in the same state.
    mutating func replay(_ write: OverlayWrite) {
        overlay[write.key] = .some(write.entry)
        countDelta += write.countChange
    }

    /// How many names exist.
    var count: Int { base.count + countDelta }

    /// Bytes held by names and answers (base arena plus overlay nodes).
    var storageBytes: Int { base.storage.count + overlay.values.reduce(0) { $0 + ($1?.storage.count ?? 0) } }

    /// True when the overlay has grown enough that a fresh base is cheaper than carrying it.
    func needsCompaction(floor: Int) -> Bool { overlay.count > max(floor, base.count / 4) }

    /// The same names with the overlay folded into a new base (an empty overlay).
    func compacted() -> ZoneIndex {
        ZoneIndex(base: NodeTable(merging: base, overlay: overlay, count: count))
    }

    /// Every existing name with its node (tests and tools; not the query path).
    func allNodes() -> [(name: [UInt8], node: ZoneNode)] {
        var result = base.allNodes().filter { overlay[NameKey($0.name)] == nil }
        for (key, entry) in overlay {
            guard let entry else { continue }
            result.append((key.bytes, NodeTable.node(in: entry.storage, at: 0, nameLength: entry.nameLength).overlaid(target: entry.externalTarget)))
        }
        return result
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
