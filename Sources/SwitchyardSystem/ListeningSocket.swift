#if canImport(Glibc)
import Glibc
#endif

/// A socket bound (and for TCP, listening) in a network namespace, with SO_REUSEPORT so a second
/// daemon can bind the same address beside the first. A transparent one (IP(V6)_TRANSPARENT, which
/// only a privileged process can set) may be bound to an address that is not local: it is the
/// socket nftables' `socket transparent` finds for a packet to that address and port, and that
/// receives the packet once policy routing delivers it locally (node-local DNS).
public struct ListeningSocket: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable {
        case udp, tcp
    }

    public var transport: Transport
    /// Numeric IPv4 or IPv6 address.
    public var address: String
    public var port: UInt16
    /// Sets IP(V6)_TRANSPARENT.
    public var transparent: Bool
    /// An IPv6 socket takes IPv6 only (IPV6_V6ONLY); false: `::` takes IPv4 too, as NIO's sockets do.
    public var v6Only: Bool

    public init(_ transport: Transport, address: String, port: UInt16, transparent: Bool = true, v6Only: Bool = true) {
        self.transport = transport
        self.address = address
        self.port = port
        self.transparent = transparent
        self.v6Only = v6Only
    }

    /// The receive buffer asked for on a UDP socket (SO_RCVBUF; the kernel caps it at rmem_max).
    public static let udpReceiveBuffer: Int32 = 4 << 20

    public var description: String { "\(transport) \(address.contains(":") ? "[\(address)]" : address):\(port)" }

    /// Why a socket could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public var socket: ListeningSocket
        public var step: String
        public var errno: Int32
        public var description: String { "\(socket): \(step): \(String(cString: strerror(errno)))" }
    }

    /// Creates, binds (and for TCP, listens on) the socket inside `namespace`; returns the descriptor
    /// (non-blocking, close-on-exec). Run it off the Swift concurrency pool when `namespace` is not
    /// the current one (`setns` changes the whole thread).
    public func open(in namespace: NetworkNamespace) throws(Failure) -> Int32 {
        try namespace.perform({ () throws(Failure) -> Int32 in try bound() },
                              failing: { Failure(socket: self, step: "enter \($0.path)", errno: $0.errno) })
    }

    /// Clears IP(V6)_TRANSPARENT on `fd`: nftables' `socket transparent` stops finding it, so new
    /// queries go elsewhere while the ones already queued can still be read and answered.
    public func withdraw(_ fd: Int32) {
        setTransparent(fd, false)
    }

    /// Sets IP(V6)_TRANSPARENT on `fd` again after ``withdraw(_:)``.
    public func restore(_ fd: Int32) {
        setTransparent(fd, true)
    }

    private func setTransparent(_ fd: Int32, _ on: Bool) {
        var value: Int32 = on ? 1 : 0
        if address.contains(":") {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), 75 /* IPV6_TRANSPARENT */, &value, socklen_t(MemoryLayout<Int32>.size))
        } else {
            _ = setsockopt(fd, Int32(IPPROTO_IP), 19 /* IP_TRANSPARENT */, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    private func bound() throws(Failure) -> Int32 {
        let v6 = address.contains(":")
        let kind = (transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue))
            | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = socket(v6 ? AF_INET6 : AF_INET, kind, 0)
        guard fd >= 0 else { throw Failure(socket: self, step: "socket", errno: errno) }
        func fail(_ step: String) -> Failure {
            let failure = Failure(socket: self, step: step, errno: errno)
            close(fd)
            return failure
        }
        func enable(_ level: Int32, _ option: Int32, _ name: String) throws(Failure) {
            var on: Int32 = 1
            guard setsockopt(fd, level, option, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else { throw fail("setsockopt \(name)") }
        }
        try enable(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR")
        try enable(SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT")
        if transport == .udp {
            // Room for a burst of queries while the reader is busy; the kernel caps it at rmem_max,
            // which only makes the room smaller, so a refusal is not an error.
            var size = Self.udpReceiveBuffer
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if v6, v6Only { try enable(Int32(IPPROTO_IPV6), IPV6_V6ONLY, "IPV6_V6ONLY") }
        if transparent, v6 {
            try enable(Int32(IPPROTO_IPV6), 75 /* IPV6_TRANSPARENT */, "IPV6_TRANSPARENT")
        } else if transparent {
            try enable(Int32(IPPROTO_IP), 19 /* IP_TRANSPARENT */, "IP_TRANSPARENT")
        }
        let result: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, self.address, &address.sin6_addr) == 1 else { throw fail("parse the address") }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, self.address, &address.sin_addr) == 1 else { throw fail("parse the address") }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else { throw fail("bind") }
        if transport == .tcp, listen(fd, 1024) != 0 { throw fail("listen") }
        return fd
    }
}
