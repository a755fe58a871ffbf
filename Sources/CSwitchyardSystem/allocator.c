// The allocator: jemalloc (linked in Package.swift, so it serves every allocation of the process,
// the Swift runtime's included), configured here and read through mallctl.
#include <jemalloc/jemalloc.h>
#include "shim.h"

// Read by jemalloc before main (MALLOC_CONF in the environment is applied after it). One arena,
// as with glibc before: the daemon's threads (the concurrency pool, NIO event loops, the netlink
// queue) hand objects to each other, and jemalloc's default of four per core gave no less CPU and
// more memory (one 30-s churn at 10,000 × 100: 2.99 against 2.67 ms per change, 462 against 457
// MiB). Freed pages go back to the kernel from jemalloc's background thread after about a second
// (with jemalloc's defaults, four arenas per core and ten seconds, the daemon held 601-617 MiB
// after the first sync at that size).
const char *malloc_conf = "narenas:1,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

int switchyard_heap_statistics(unsigned long *allocated, unsigned long *resident, unsigned long *mapped) {
    // The statistics are a snapshot taken when the epoch advances.
    uint64_t epoch = 1;
    size_t length = sizeof(epoch);
    if (mallctl("epoch", &epoch, &length, &epoch, length) != 0) return -1;
    size_t value = 0;
    length = sizeof(value);
    if (mallctl("stats.allocated", &value, &length, NULL, 0) != 0) return -1;
    *allocated = value;
    if (mallctl("stats.resident", &value, &length, NULL, 0) != 0) return -1;
    *resident = value;
    if (mallctl("stats.mapped", &value, &length, NULL, 0) != 0) return -1;
    *mapped = value;
    return 0;
}

int switchyard_release_freed_memory(void) {
    // MALLCTL_ARENAS_ALL: every arena's dirty pages.
    return mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
}
