#if canImport(Glibc)
import Glibc
#endif

/// When the allocator's freed memory goes back to the kernel between full syncs. Transients of the
/// incremental syncs and DNS publishes (a batch's events, a fold's second arena) otherwise stay
/// resident until the allocator returns them: with glibc tuned not to trim (until session 28) the
/// daemon's RSS climbed by tens of MiB over minutes of churn while its live heap stayed flat
/// (heaptrack); jemalloc returns them after ~1 s, and this brings that forward. It releases
/// (``Allocator/releaseFreedMemory()``) after a sync when the resident set has grown by more
/// than `allowedGrowth` since the last release, and measures from what is left: memory the cluster
/// really needs is not released over and over. A value; its owner (the sync loop) calls it.
public struct FreedMemoryRelease: Sendable {
    /// The growth over the resident set after the last release that triggers the next one.
    public var allowedGrowth: Double
    /// Resident bytes after the last release; nil before the first.
    public private(set) var floor: Int?
    /// How long the last release took (logged by the daemon).
    public private(set) var lastReleaseTook: Duration = .zero
    /// Reads the resident set (``residentBytes()`` in the daemon).
    private let resident: @Sendable () -> Int?
    /// Returns the heap's free pages (``Allocator/releaseFreedMemory()`` in the daemon).
    private let releaseHeap: @Sendable () -> Void

    /// The policy for this process: its resident set, the allocator's purge. The allowance is the
    /// resident set's sawtooth under churn (with glibc a release cost ~0.4 ms at 10,000 × 10, one
    /// every ~3 s at 2% and 100 changes/s).
    public init(allowedGrowth: Double = 0.02) {
        self.init(allowedGrowth: allowedGrowth, resident: Self.residentBytes, releaseHeap: Allocator.releaseFreedMemory)
    }

    /// The policy over another resident set and release (tests: the process's own resident set
    /// moves with whatever the other suites running beside them allocate and free).
    public init(allowedGrowth: Double, resident: @escaping @Sendable () -> Int?, releaseHeap: @escaping @Sendable () -> Void) {
        self.allowedGrowth = allowedGrowth
        self.resident = resident
        self.releaseHeap = releaseHeap
    }

    /// Releases now (after a full sync, whose transient peak is large) and measures from here.
    public mutating func release() {
        let started = ContinuousClock.now
        releaseHeap()
        lastReleaseTook = ContinuousClock.now - started
        floor = self.resident()
    }

    /// Releases when the resident set has grown beyond the allowance; returns the resident bytes
    /// before and after when it did. A resident set below the floor lowers it: another owner
    /// released (the DNS side after a zone build, which at start-up can finish after the first
    /// sync's release and measure), and growth counts from there.
    public mutating func releaseIfGrown() -> (before: Int, after: Int)? {
        guard let floor, let resident = self.resident() else { return nil }
        guard Double(resident) > Double(floor) * (1 + allowedGrowth) else {
            if resident < floor { self.floor = resident }
            return nil
        }
        release()
        return (resident, self.floor ?? resident)
    }

    /// The process's resident set (the second field of /proc/self/statm, in pages).
    public static func residentBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
