import CSwitchyardSystem

/// glibc's allocator defaults suit short programs, not a daemon that rebuilds a 100k-element ruleset
/// on every full sync: blocks over its mmap threshold (128 KiB at first) go back to the kernel when
/// freed, so each sync faults in and zeroes its dictionaries' pages again (a third of a 10,000-service
/// compile, measured with perf). Keeping freed memory in the heap trades a flat RSS at the sync's
/// peak for syncs that reuse warm pages. Blocks of 16 MiB and more are still mapped on their own:
/// the DNS zone's ~22 MB arena was, when the zone was one table, since in the heap each fold left
/// the old arena as a hole that small allocations then pinned (10-minute churn, one run each: RSS
/// +48% with the arena in the heap, +20% mapped). Since session 24 the zone is in shards of 1-2 MB,
/// in the heap; a fold frees one shard's arena, of about the size the next fold asks for. At 4 MiB
/// the incremental syncs' and publishes' largest dictionaries were mapped too and faulted in afresh
/// each time (+0.2 ms of CPU per change). `switchyard run` and `bench` and the micro-benchmarks
/// call it.
public enum MallocTuning {
    /// Serves blocks under 16 MiB from the heap and stops trimming it. Call once, before the first sync.
    public static func keepFreedMemory() {
        #if os(Linux)
        _ = glibcMallopt(mmapThreshold, 16 << 20)
        _ = glibcMallopt(trimThreshold, 1 << 30)
        #endif
    }

    /// One malloc arena instead of glibc's eight per core: the daemon's threads (the concurrency
    /// pool, NIO event loops, the netlink queue) otherwise each grow an arena of their own whose
    /// freed space no other thread reuses (measured: 239 → 187 MiB resident at 10,000 Services with
    /// two arenas, together with not following Pods). With two, the first sync's transients left
    /// ~55 MB of holes in the second arena while the churn's replacements of its long-lived objects
    /// grew the first (malloc_info over a 10,000 × 10 churn: arena 0 34 → 57 MiB resident, arena 1
    /// 42 → 41 MiB with its free chunks 2,259 → 8,479); with one, the churn refills the holes (RSS
    /// under churn 136-138 → 128 MiB, CPU per change unchanged). Must run before a second thread
    /// allocates: a thread's arena is chosen at its first allocation (`switchyard`'s `main`).
    public static func limitArenas() {
        #if os(Linux)
        _ = glibcMallopt(arenaMax, 1)
        #endif
    }

    /// Hands the heap's free pages back to the kernel (`malloc_trim`): the daemon calls it after a
    /// full sync, whose transient peak (lists, wanted ruleset, read-back) would otherwise stay
    /// resident until the next one, an hour later.
    public static func releaseFreedMemory() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }

    /// What the heap holds: bytes the program has allocated (`inUse`, including blocks mapped on their
    /// own, `mapped`) and bytes freed but kept (`free`). RSS growth with `inUse` flat is fragmentation.
    public struct HeapStatistics: Sendable, Equatable {
        public var inUse: Int
        public var free: Int
        public var mapped: Int
    }

    /// The heap's statistics now (glibc's mallinfo2; walks each arena's free lists, so not per event).
    public static func heapStatistics() -> HeapStatistics {
        var (inUse, free, mapped): (UInt, UInt, UInt) = (0, 0, 0)
        #if os(Linux)
        switchyard_heap_statistics(&inUse, &free, &mapped)
        #endif
        return HeapStatistics(inUse: Int(inUse), free: Int(free), mapped: Int(mapped))
    }

    // <malloc.h>, which the Glibc module does not import.
    private static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
    private static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
    private static let arenaMax: Int32 = -8  // M_ARENA_MAX
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
