/// When memory that its owner knows it let go goes back to the kernel (the allocator's purge): once the
/// bytes freed since the last release reach `share` of the resident set, and at once after a whole
/// build. The DNS zone's folds each free one shard's replaced base: 1-2 MB at 10,000 Services × 10
/// endpoints (16 shards), ~1 MB at × 100 (128 shards, in a heap of ~450 MiB). Released at every
/// fold, the trims' heap walks and the page faults that refill what they gave back were ~8% of the
/// daemon's samples under churn at × 100 (perf, with glibc: `__malloc_trim` 3.4% self,
/// `unlink_chunk` 3.3%, `madvise` and `clear_page` ~2%); at 1% of the resident set a fold at × 10
/// is still released at once (its base is over 1% of ~115 MiB) and at × 100 about one in four.
/// A value; its owner (the DNS frontend) calls it.
public struct FreedBytesRelease: Sendable {
    /// The part of the resident set that freed bytes must reach before they are released.
    public let share: Double
    /// Bytes freed since the last release.
    public private(set) var unreleased = 0
    /// Reads the resident set (``FreedMemoryRelease/residentBytes()`` in the daemon).
    private let resident: @Sendable () -> Int?
    /// Returns the heap's free pages (``Allocator/releaseFreedMemory()`` in the daemon).
    private let releaseHeap: @Sendable () -> Void

    /// The policy for this process: its resident set, the allocator's purge.
    public init(share: Double = 0.01) {
        self.init(share: share, resident: FreedMemoryRelease.residentBytes, releaseHeap: Allocator.releaseFreedMemory)
    }

    /// The policy over another resident set and release (tests).
    public init(share: Double, resident: @escaping @Sendable () -> Int?, releaseHeap: @escaping @Sendable () -> Void) {
        self.share = share
        self.resident = resident
        self.releaseHeap = releaseHeap
    }

    /// Records `bytes` freed and releases when the bytes not yet released reach the share of the
    /// resident set (or the resident set cannot be read). Returns whether it released.
    @discardableResult
    public mutating func freed(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return false }
        unreleased += bytes
        if let resident = resident(), Double(unreleased) < Double(resident) * share { return false }
        release()
        return true
    }

    /// Releases now (after a whole build, whose drafts and previous zone were just freed).
    public mutating func release() {
        releaseHeap()
        unreleased = 0
    }
}
