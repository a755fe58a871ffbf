#if canImport(Glibc)
import Glibc
#endif

/// This process's effective Linux capabilities, from `/proc/self/status` (`CapEff`).
public enum Capabilities {
    /// `CAP_NET_ADMIN`: programming netfilter, routes and IP_TRANSPARENT.
    public static let netAdmin = 12

    /// True when capability number `capability` is effective; false when it is not or the status
    /// cannot be read.
    public static func isEffective(_ capability: Int) -> Bool {
        guard let file = fopen("/proc/self/status", "r") else { return false }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("CapEff:") else { continue }
            let hex = String(text.dropFirst("CapEff:".count).filter(\.isHexDigit))
            guard let mask = UInt64(hex, radix: 16) else { return false }
            return mask & (UInt64(1) << UInt64(capability)) != 0
        }
        return false
    }
}
