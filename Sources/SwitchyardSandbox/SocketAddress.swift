#if canImport(Glibc)
import Glibc
#endif
import SwitchyardModel

/// Conversions between `IPAddress` + port and the C socket address structs.
enum SocketAddress {
    /// A `sockaddr_in`/`sockaddr_in6` for `address`:`port`, in a `sockaddr_storage`.
    static func make(_ address: IPAddress, port: Int) -> (storage: sockaddr_storage, length: socklen_t) {
        var storage = sockaddr_storage()
        let bytes = address.bytes
        switch address {
        case .v4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: bytes) }
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: sin) { raw.copyMemory(from: $0) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: sin6) { raw.copyMemory(from: $0) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }

    /// The address and port in a `sockaddr_storage`, or nil for other families.
    static func parse(_ storage: sockaddr_storage) -> (address: IPAddress, port: Int)? {
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            let bytes = withUnsafeBytes(of: sin.sin_addr) { Array($0) }
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return (.v4(IPv4Address(value)), Int(UInt16(bigEndian: sin.sin_port)))
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return (.v6(IPv6Address(high: high, low: low)), Int(UInt16(bigEndian: sin6.sin6_port)))
        default:
            return nil
        }
    }

    /// `10.0.0.1:80` or `[fd00::1]:80`.
    static func text(_ address: IPAddress, port: Int) -> String {
        switch address {
        case .v4: "\(address):\(port)"
        case .v6: "[\(address)]:\(port)"
        }
    }

    static func family(of address: IPAddress) -> Int32 {
        switch address {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }
}
