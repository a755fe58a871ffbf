import NIOPosix
import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// Makes a listening TCP socket inside another network namespace: the calling thread enters the
/// namespace, creates and binds the socket, and returns (a socket keeps the namespace it was made in).
/// Runs on a NIO thread-pool thread, never on the Swift concurrency pool, because `setns` changes
/// the namespace of the whole thread.
public enum NamespaceListener {
    /// Why a socket could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public var step: String
        public var errno: Int32
        public var description: String { "\(step): \(String(cString: strerror(errno)))" }
    }

    /// A listening socket on `0.0.0.0:port` in the namespace file `namespacePath` (nil: ours).
    public static func listen(port: Int, namespacePath: String?) async throws -> Int32 {
        try await NIOThreadPool.singleton.runIfActive {
            try makeSocket(port: port, namespacePath: namespacePath)
        }
    }

    static func makeSocket(port: Int, namespacePath: String?) throws -> Int32 {
        try NetworkNamespace(namespacePath).perform({ () throws(Failure) -> Int32 in try bound(port: port) },
                                                    failing: { Failure(step: "enter \($0.path)", errno: $0.errno) })
    }

    private static func bound(port: Int) throws(Failure) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Failure(step: "socket", errno: errno) }
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        // A replacing daemon (a DaemonSet surge pod) binds the same port while this one runs.
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port)).bigEndian
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(step: "bind 0.0.0.0:\(port)", errno: code)
        }
        guard Glibc.listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw Failure(step: "listen on port \(port)", errno: code)
        }
        return fd
    }
}
