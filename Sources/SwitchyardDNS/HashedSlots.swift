/// Positions in a caller's array, found by a 64-bit hash the caller has already computed (the node
/// table's hash of the bytes, or an address's value mixed): open addressing over one array of
/// words, without a `Hasher` per lookup. The caller keeps the entries and says whether a candidate matches.
///
/// Perf, zone build at 10,000 × 100: `Hasher` seeding and finalizing for the builder's dictionaries
/// (compression tables past 24 suffixes, reverse names by address, endpoint labels per Service)
/// were ~6% of the build.
struct HashedSlots {
    /// `tag << 32 | position + 1`, the tag the hash's upper half; 0 is empty.
    private var slots: [UInt64]
    private(set) var count = 0

    init(capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
    }

    /// The position stored under `hash` for which `matches` holds.
    @inline(__always)
    func find(hash: UInt64, where matches: (Int) -> Bool) -> Int? {
        let mask = slots.count - 1
        let tag = hash >> 32
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { return nil }
            if slot >> 32 == tag, matches(Int(truncatingIfNeeded: slot & 0xffff_ffff) - 1) {
                return Int(truncatingIfNeeded: slot & 0xffff_ffff) - 1
            }
            i = (i + 1) & mask
        }
    }

    /// Stores `position` under `hash` (the caller has checked it is not there).
    mutating func insert(_ position: Int, hash: UInt64) {
        if (count + 1) * 2 > slots.count { grow() }
        place((hash >> 32) << 32 | UInt64(position + 1))
        count += 1
    }

    private mutating func place(_ entry: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: entry >> 32) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = entry
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        for entry in old where entry != 0 { place(entry) }
    }

    /// A 64-bit hash of an address (its value mixed so that consecutive addresses spread).
    static func hash(_ value: UInt64) -> UInt64 {
        var h = value &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return h &* 0xBF58_476D_1CE4_E5B9
    }
}
