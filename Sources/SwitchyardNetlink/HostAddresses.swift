import SwitchyardModel
import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// The addresses of a network namespace's interfaces, as `--nodeport-addresses CIDR…` matches them
/// (kube-proxy reads the host's interface addresses the same way).
public enum HostAddresses {
    /// Every IPv4 and IPv6 interface address in `namespace` (`getifaddrs`, whose netlink socket is
    /// made in the namespace), sorted; link-local IPv6 addresses are left out.
    public static func list(in namespace: NetworkNamespace) throws(NetlinkError) -> [IPAddress] {
        try namespace.perform({ () throws(NetlinkError) -> [IPAddress] in
            var first: UnsafeMutablePointer<ifaddrs>?
            guard getifaddrs(&first) == 0 else {
                throw .system(call: "getifaddrs", context: "listing the interface addresses of \(namespace)", errno: errno)
            }
            defer { freeifaddrs(first) }
            var result: Set<IPAddress> = []
            var entry = first
            while let current = entry {
                defer { entry = current.pointee.ifa_next }
                guard let address = current.pointee.ifa_addr else { continue }
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    result.insert(.v4(IPv4Address(UInt32(bigEndian: ip))))
                case AF_INET6:
                    let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                    }
                    guard bytes.count == 16, !(bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80) else { continue }
                    let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    result.insert(.v6(IPv6Address(high: high, low: low)))
                default:
                    continue
                }
            }
            return result.sorted()
        }, failing: NetlinkError.namespace)
    }
}
