import CSwitchyardSystem

/// The process's allocator, jemalloc, linked in and configured in `allocator.c` (one arena, freed
/// pages returned by a background thread after about a second). It replaced glibc's malloc, tuned
/// with `mallopt` and trimmed with `malloc_trim`, in session 28: perf of the churn at 10,000 × 100
/// had glibc's `_int_malloc`, `unlink_chunk`, `malloc_consolidate` and `malloc_trim` at ~16% of the
/// daemon's samples, and jemalloc took CPU per change from 3.7-4.0 to 2.5-2.9 ms (alternated runs,
/// docs/benchmarks.md).
public enum Allocator {
    /// Hands every arena's freed pages back to the kernel now, rather than when the background
    /// thread's decay gets to them: the daemon calls it after a full sync and a whole zone build,
    /// whose transient peaks (lists, wanted ruleset, read-back, build drafts) are large.
    public static func releaseFreedMemory() {
        _ = switchyard_release_freed_memory()
    }

    /// What the allocator holds: bytes the program has allocated (`inUse`), bytes resident beyond
    /// those (`free`: freed pages not yet returned, partly used pages, metadata) and bytes mapped.
    /// RSS growth with `inUse` flat is fragmentation or pages waiting to be returned.
    public struct HeapStatistics: Sendable, Equatable {
        public var inUse: Int
        public var free: Int
        public var mapped: Int
    }

    /// The allocator's statistics now (jemalloc's `stats.*` after an epoch refresh; not per event),
    /// or nil when mallctl refuses them.
    public static func heapStatistics() -> HeapStatistics? {
        var (allocated, resident, mapped): (UInt, UInt, UInt) = (0, 0, 0)
        guard switchyard_heap_statistics(&allocated, &resident, &mapped) == 0 else { return nil }
        return HeapStatistics(inUse: Int(allocated), free: max(0, Int(resident) - Int(allocated)), mapped: Int(mapped))
    }
}
