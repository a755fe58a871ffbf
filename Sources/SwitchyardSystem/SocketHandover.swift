import CSwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// Passes listening sockets from a running daemon to the one replacing it, over a Unix socket with
/// SCM_RIGHTS: the new process serves the very sockets the old one served (their queued datagrams
/// and pending connections included), so a restart loses no query. The old process stops reading
/// them before it sends them, so exactly one process reads a socket at any time.
///
/// The protocol: the new process connects and sends ``request``; the old one answers with one
/// message, a line `udp|tcp ADDRESS PORT` per socket, with the descriptors attached in that order.
public enum SocketHandover {
    /// One socket handed over.
    public struct Handed: Sendable, Hashable {
        public var socket: ListeningSocket
        public var fd: Int32

        public init(_ socket: ListeningSocket, fd: Int32) {
            self.socket = socket
            self.fd = fd
        }
    }

    /// At most this many sockets per hand-over.
    public static let maxSockets = 16
    static let request: [UInt8] = Array("switchyard-handover 1\n".utf8)

    /// Asks the daemon serving `path` for its sockets. None when nobody serves the path (no file,
    /// refused) or the answer does not come within a second; the caller then binds its own.
    public static func take(from path: String) -> [Handed] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard var address = unixAddress(path), withUnsafePointer(to: &address, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }) == 0 else { return [] }
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return [] }
        var fds = [Int32](repeating: -1, count: maxSockets)
        var count: Int32 = 0
        var text = [UInt8](repeating: 0, count: 4096)
        let received = switchyard_receive_fds(fd, &fds, &count, &text, UInt(text.count))
        guard received > 0 else {
            for index in 0..<Int(count) { close(fds[index]) }
            return []
        }
        let lines = String(decoding: text[0..<received], as: UTF8.self).split(separator: "\n")
        var handed: [Handed] = []
        for index in 0..<Int(count) {
            guard index < lines.count, let socket = parse(lines[index]) else {
                close(fds[index])
                continue
            }
            handed.append(Handed(socket, fd: fds[index]))
        }
        return handed
    }

    static func parse(_ line: Substring) -> ListeningSocket? {
        let fields = line.split(separator: " ")
        guard fields.count == 3, let transport = ListeningSocket.Transport(rawValue: String(fields[0])),
              let port = UInt16(fields[2]) else { return nil }
        return ListeningSocket(transport, address: String(fields[1]), port: port)
    }

    static func unixAddress(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A process asking for the sockets; answer it once with ``send(_:)``.
    public final class Request: @unchecked Sendable {
        // Safety: used by one task; `connection` is closed once, on deinit.
        private let connection: Int32

        init(connection: Int32) {
            self.connection = connection
        }

        deinit { close(connection) }

        /// Sends `sockets` (at most ``maxSockets``); the descriptors stay open here. Returns whether
        /// the other process got them.
        public func send(_ sockets: [Handed]) -> Bool {
            let handed = Array(sockets.prefix(maxSockets))
            let text = Array(handed.map { "\($0.socket.transport) \($0.socket.address) \($0.socket.port)\n" }.joined().utf8)
            let body = text.isEmpty ? Array("\n".utf8) : text
            let fds = handed.map(\.fd)
            return switchyard_send_fds(connection, fds, Int32(fds.count), body, UInt(body.count)) == body.count
        }
    }

    /// The listening side: a non-blocking Unix socket at a path, polled by its owner.
    public final class Server: @unchecked Sendable {
        // Safety: `fd` is immutable after init; `pendingRequest` is called by one task at a time.
        private let fd: Int32
        public let path: String

        /// Binds `path` (a stale file from a previous process is replaced: the caller has already
        /// taken that process's sockets, or found nobody there).
        public init(path: String) throws(Failure) {
            self.path = path
            guard var address = unixAddress(path) else { throw Failure(path: path, step: "path too long", errno: ENAMETOOLONG) }
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw Failure(path: path, step: "socket", errno: errno) }
            if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                _ = mkdir(String(path[..<slash]), 0o700)  // /run/switchyard on a fresh boot; EEXIST is fine
            }
            unlink(path)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 8) == 0 else {
                let failure = Failure(path: path, step: "bind and listen", errno: errno)
                close(fd)
                throw failure
            }
        }

        deinit { close(fd) }

        /// The next process waiting for the sockets, if one asked (never blocks for long: a
        /// connection that does not send its request within a second is dropped).
        public func pendingRequest() -> Request? {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return nil }
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                var timeout = timeval(tv_sec: 1, tv_usec: 0)
                _ = setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                _ = setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: request.count)
                if recv(connection, &buffer, buffer.count, Int32(MSG_WAITALL)) == request.count, buffer == request {
                    return Request(connection: connection)
                }
                close(connection)
            }
        }

        /// Why the server could not start.
        public struct Failure: Error, CustomStringConvertible {
            public var path: String
            public var step: String
            public var errno: Int32
            public var description: String { "hand-over socket \(path): \(step): \(String(cString: strerror(errno)))" }
        }
    }
}
