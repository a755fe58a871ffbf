#if canImport(Glibc)
import Glibc
#endif

/// This process's OOM-killer adjustment (`/proc/self/oom_score_adj`, -1000...1000), which kube-proxy
/// sets to -999 so the node's data plane is the last thing killed when memory runs out.
public enum OOMScore {
    /// Writes `value`; returns the errno on failure (lowering it needs CAP_SYS_RESOURCE).
    public static func set(_ value: Int) -> Int32? {
        let fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let bytes = Array("\(value)\n".utf8)
        return write(fd, bytes, bytes.count) == bytes.count ? nil : errno
    }
}
