#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open file descriptors. A node daemon holds a socket per DNS-over-TCP and
/// HTTP client plus one per forwarded query; with the common soft limit of 1,024 a burst of clients
/// exhausts it (issue 15), so the daemon raises its soft limit to the hard one at start, as most
/// servers do.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the limits before and after (nil when they
    /// cannot be read or set).
    @discardableResult
    public static func raiseToHardLimit() -> (before: UInt64, after: UInt64)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let before = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (before, UInt64(limit.rlim_cur))
    }
}
