/// One write to a zone's overlay: which shard, and where its entry is in that shard's overlay arena,
/// so that it can be replayed on the other copy (``IncrementalZone`` alternates between two).
struct OverlayWrite: Sendable {
    let shard: Int
    let offset: Int
    /// The name's ``NodeTable/hash(_:)``, so the replay does not hash it again.
    let hash: UInt64
    /// How the zone's name count changed.
    let countChange: Int
}

/// One shard of a ``ZoneIndex``: a ``NodeTable`` built in one pass (the base), shared by every zone
/// until it is folded or the zone rebuilt, and an overlay of its names changed since.
struct ZoneShard: Sendable {
    var base: NodeTable
    var overlay = OverlayTable()
    /// Names the overlay holds beyond the base (added minus removed).
    var countDelta = 0
    /// The overlay's limit, ``foldShare(of:at:of:)`` for this shard's place, set by its ``ZoneIndex``
    /// when the base is: kept here so that a write does not read the base's header, a cache miss
    /// per write (perf, churn at 10,000 × 100: 0.8% of the daemon's samples).
    var overlayLimit: (names: Int, bytes: Int) = (0, 0)

    var count: Int { base.count + countDelta }

    /// The part of the base the overlay may grow to before it is folded, for the shard at `index` of
    /// `shardCount`: from a sixteenth of its names and bytes (the first shard) to an eighth (the
    /// last). The overlay is held twice (``IncrementalZone``'s two copies), and its arena, reserved
    /// at this size, stays resident once written (the next overlay reuses the block), so the shares
    /// are resident memory; a fold copies its shard, so they also set the folds' CPU. 60-s churns
    /// at 10,000 × 10, median RSS over the initial sync's / CPU per change: an eighth for every
    /// shard +7.0% / 0.81-0.92 ms, these shares +4.1-6.1% / 1.0 ms, a thirty-second to a sixteenth
    /// +2.2-3.4% / 0.84-0.87 ms; but at 10,000 × 100, where a change writes ~10 times the names,
    /// those smaller shares folded ~4 times as often as an eighth (1,400 folds in a 30-s run, 4-5 ms each) and
    /// took CPU per change from 2.6-2.7 to 3.1-3.2 ms. The shares differ so that shards filling at
    /// the same rate do not fold in the same second (at one share, all 16 folded within ~2 s).
    static func foldShare(of base: NodeTable, at index: Int, of shardCount: Int) -> (names: Int, bytes: Int) {
        let (parts, whole) = (shardCount + index, 16 * shardCount)
        return (base.count * parts / whole, base.storage.count * parts / whole)
    }
}

/// The names a zone answers from, split by hash into shards (``ZoneShard``): each a ``NodeTable``
/// built in one pass (its base), shared by every zone until the next rebuild, and an overlay of the
/// names changed since (``OverlayTable``), so that publishing a change costs O(changed names). A
/// lookup checks the name's shard's overlay (empty most of the time right after a fold), then its
/// base. ``IncrementalZone`` writes into the copy no query holds any more instead of copying paths
/// of a persistent map (perf: path copies and their release were ~8% of the daemon's samples under
/// churn). A shard's overlay grown past a fraction of its base is folded into a new base for that
/// shard alone (``foldOverfullShards(among:floor:)``): one table for the whole zone made each fold
/// hold two ~18 MB bases at 10,000 Services (RSS +12-16% at each fold over 10-minute churns).
struct ZoneIndex: Sendable {
    /// About how many names a shard holds at a rebuild (``DNSZoneOptions``' default).
    static let namesPerShard = 16_384

    private(set) var shards: [ZoneShard]
    /// log2 of the shard count.
    private let shardBits: Int

    /// An index of `shards` (a power of two of them) with empty overlays.
    init(shards: [ZoneShard]) {
        precondition(!shards.isEmpty && shards.count & (shards.count - 1) == 0, "a power of two of shards")
        self.shards = shards
        shardBits = shards.count.trailingZeroBitCount
        for index in shards.indices { self.shards[index].overlayLimit = ZoneShard.foldShare(of: shards[index].base, at: index, of: shards.count) }
    }

    /// An index of one base table (tests and tools).
    init(base: NodeTable) {
        self.init(shards: [ZoneShard(base: base)])
    }

    /// The shard count for a zone of `names` names: a power of two, about `namesPerShard` names each.
    static func shardCount(names: Int, namesPerShard: Int) -> Int {
        var count = 1
        while count < 1024, names / count > namesPerShard { count <<= 1 }
        return count
    }

    /// The shard of a name's hash: the top bits of the hash multiplied by an odd constant, so
    /// shards do not correlate with the bits a table's home (low half) or tag (high half) use.
    @inline(__always) func shard(of hash: UInt64) -> Int {
        Self.shard(of: hash, bits: shardBits)
    }

    @inline(__always) static func shard(of hash: UInt64, bits: Int) -> Int {
        bits == 0 ? 0 : Int(truncatingIfNeeded: (hash &* 0x9e37_79b9_7f4a_7c15) &>> UInt64(64 - bits))
    }

    /// The node of a lowercased wire name.
    @inline(__always) func find(_ name: [UInt8]) -> ZoneNode? {
        find(name, hash: name.withUnsafeBufferPointer { NodeTable.hash($0) })
    }

    private func find(_ name: [UInt8], hash: UInt64) -> ZoneNode? {
        let index = shard(of: hash)
        let shard = shards[index]
        if !shard.overlay.isEmpty {
            switch shard.overlay.entry(name, hash: hash) {
            case .removed: return nil
            case .node(let node): return node
            case nil: break
            }
        }
        guard var node = shard.base.find(name, hash: hash) else { return nil }
        node.shard = index
        return node
    }

    func externalTarget(of node: ZoneNode) -> DNSName? {
        node.isOverlay ? node.overlayTarget : shards[node.shard].base.externalTarget(of: node)
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
        let index = shard(of: hash)
        let offset = shards[index].write(name, hash: hash, origin: origin, blob: blob,
                                         externalTarget: blob == nil ? nil : externalTarget, countChange: countChange)
        return OverlayWrite(shard: index, offset: offset, hash: hash, countChange: countChange)
    }

    /// Applies a write that ``set(_:origin:blob:externalTarget:)`` made on `source`, an index in the
    /// same state as this one.
    mutating func replay(_ write: OverlayWrite, from source: ZoneIndex) {
        shards[write.shard].replay(write, from: source.shards[write.shard].overlay)
    }

    /// Takes `source`'s shard `index` as it is (its base folded there since this index was in step).
    mutating func adopt(shard index: Int, from source: ZoneIndex) {
        shards[index] = source.shards[index]
    }

    /// How many names exist.
    var count: Int { shards.reduce(0) { $0 + $1.count } }

    /// Bytes held by names and answers (base arenas plus overlay entries).
    var storageBytes: Int { shards.reduce(0) { $0 + $1.base.storage.count + $1.overlay.arena.count } }

    /// Whether no shard has an overlay entry (tests).
    var overlaysAreEmpty: Bool { shards.allSatisfy(\.overlay.isEmpty) }

    /// Folds into a new base each shard among `written` whose overlay has grown enough that a fresh
    /// base is cheaper than carrying it: in names, or in bytes (names written again leave their old
    /// entries in the arena); `floor` is for the whole zone, shared by the shards. Returns the
    /// shards folded.
    mutating func foldOverfullShards(among written: some Sequence<Int>, floor: Int) -> [Int] {
        let floorNames = max(1, floor >> shardBits), floorBytes = max(128, (floor * 128) >> shardBits)
        var folded: [Int] = []
        for index in Set(written) {
            let shard = shards[index], share = shard.overlayLimit
            guard shard.overlay.count > max(floorNames, share.names) || shard.overlay.arena.count > max(floorBytes, share.bytes) else { continue }
            var merged = ZoneShard(base: NodeTable(merging: shard.base, overlay: shard.overlay, count: shard.count))
            merged.overlayLimit = ZoneShard.foldShare(of: merged.base, at: index, of: shards.count)
            shards[index] = merged
            folded.append(index)
        }
        return folded
    }

    /// Every existing name with its node (tests and tools; not the query path).
    func allNodes() -> [(name: [UInt8], node: ZoneNode)] {
        shards.indices.flatMap { index in
            let shard = shards[index]
            let written = shard.overlay.allNames()
            let base = shard.base.allNodes().filter { !written.contains($0.name) }.map { name, node in
                var node = node
                node.shard = index
                return (name, node)
            }
            return base + written.compactMap { name in
                guard case .node(let node) = shard.overlay.entry(name, hash: name.withUnsafeBufferPointer { NodeTable.hash($0) }) else { return nil }
                return (name, node)
            }
        }
    }
}

extension ZoneShard {
    /// Writes a name into the overlay (see ``ZoneIndex/set(_:origin:blob:externalTarget:)``).
    mutating func write(_ name: [UInt8], hash: UInt64, origin: Int, blob: [UInt8]?, externalTarget: DNSName?, countChange: Int) -> Int {
        reserveOverlayIfEmpty()
        countDelta += countChange
        return overlay.write(name, hash: hash, origin: origin, blob: blob, externalTarget: externalTarget)
    }

    /// Copies a write from the other copy's overlay of this shard.
    mutating func replay(_ write: OverlayWrite, from source: OverlayTable) {
        reserveOverlayIfEmpty()
        overlay.copy(from: source, at: write.offset, hash: write.hash)
        countDelta += write.countChange
    }

    /// Sizes an empty overlay for what it holds when it is folded (a quarter of its share more: the
    /// write that crosses the limit lands first).
    private mutating func reserveOverlayIfEmpty() {
        guard overlay.isEmpty else { return }
        let share = overlayLimit
        overlay.reserve(bytes: share.bytes + share.bytes / 4, names: share.names + share.names / 4)
    }
}
