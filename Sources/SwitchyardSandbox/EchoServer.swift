#if canImport(Glibc)
import Glibc
#endif
import SwitchyardModel

/// A small TCP and UDP server that tells every client who answered and where the client came from.
///
/// - TCP: greets each connection with `NAME <client-ip>:<client-port>\n`, at once when the client
///   sends its first bytes (those are not echoed) or after `greetingDelay` when it sends nothing;
///   then echoes every byte until the client closes. A first line that is an HTTP request gets an
///   HTTP/1.1 200 answer with the greeting as body, so `curl` works too.
/// - UDP: answers every datagram with one datagram holding the greeting line.
///
/// One thread, one `poll` loop; `run()` blocks until `stop()`.
public struct EchoServer: Sendable {
    /// One bound socket.
    public struct Listener: Sendable, Hashable {
        public var proto: TransportProtocol
        public var address: IPAddress
        public var port: Int
        let fd: Int32
    }

    /// The name put in every answer.
    public let name: String
    /// Every bound socket, in the order bound (per port: IPv4, then IPv6).
    public let listeners: [Listener]
    private let greetingDelay: Duration
    private let wakeRead: Int32
    private let wakeWrite: Int32

    /// Binds every port. With no `bindAddresses` it binds the wildcard of both families
    /// (IPv6 sockets are IPv6-only, so every client shows its own family's address).
    public init(
        name: String, tcpPorts: [Int], udpPorts: [Int], bindAddresses: [IPAddress] = [],
        greetingDelay: Duration = .milliseconds(200)
    ) throws(SandboxError) {
        self.name = name
        self.greetingDelay = greetingDelay
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .socket(call: "pipe", address: "wake-up", errno: errno) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        var bound: [Listener] = []
        do {
            let wildcard = bindAddresses.isEmpty
            let addresses = wildcard ? [IPAddress.v4(IPv4Address(0)), .v6(IPv6Address(high: 0, low: 0))] : bindAddresses
            for (proto, ports) in [(TransportProtocol.tcp, tcpPorts), (.udp, udpPorts)] {
                for port in ports {
                    for address in addresses {
                        if let listener = try Self.bind(proto, address, port, optional: wildcard && address.family == .ipv6) {
                            bound.append(listener)
                        }
                    }
                }
            }
        } catch {
            for listener in bound { close(listener.fd) }
            close(fds[0])
            close(fds[1])
            throw error
        }
        listeners = bound
    }

    /// The port bound for `proto` (the first one), useful after binding port 0.
    public func port(_ proto: TransportProtocol) -> Int? {
        listeners.first { $0.proto == proto }?.port
    }

    /// Asks a running `run()` to return; safe from any thread.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Serves until `stop()`, then closes every socket.
    public func run() {
        var loop = EchoLoop(name: name, greetingDelay: greetingDelay)
        loop.run(listeners: listeners, wake: wakeRead)
        for listener in listeners { close(listener.fd) }
        close(wakeRead)
        close(wakeWrite)
    }

    private static func bind(_ proto: TransportProtocol, _ address: IPAddress, _ port: Int, optional: Bool) throws(SandboxError) -> Listener? {
        let type = proto == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        let label = "\(proto.lowercased) \(SocketAddress.text(address, port: port))"
        let fd = socket(SocketAddress.family(of: address), type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 {
            if optional && errno == EAFNOSUPPORT { return nil }
            throw .socket(call: "socket", address: label, errno: errno)
        }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if address.family == .ipv6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        var (storage, length) = SocketAddress.make(address, port: port)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard status == 0, proto == .udp || listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            if optional && code == EADDRNOTAVAIL { return nil }
            throw .socket(call: proto == .udp ? "bind" : "bind/listen", address: label, errno: code)
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        let boundPort = SocketAddress.parse(actual)?.port ?? port
        return Listener(proto: proto, address: address, port: boundPort, fd: fd)
    }
}

/// The state of one `EchoServer.run()`: open connections and their buffers. Lives on one thread.
private struct EchoLoop {
    let name: String
    let greetingDelay: Duration
    var connections: [Int32: Connection] = [:]

    struct Connection {
        enum Mode { case waiting, http, echo }
        var peer: String
        var accepted: ContinuousClock.Instant
        var mode = Mode.waiting
        var received: [UInt8] = []
        var outgoing: [UInt8] = []
        var closeWhenSent = false
    }

    static let httpMethods = ["GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH "].map { Array($0.utf8) }

    init(name: String, greetingDelay: Duration) {
        self.name = name
        self.greetingDelay = greetingDelay
    }

    mutating func run(listeners: [EchoServer.Listener], wake: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var entries = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            entries += listeners.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let order = connections.keys.sorted()
            entries += order.map { fd in
                let events = Int16(POLLIN) | (connections[fd]?.outgoing.isEmpty == false ? Int16(POLLOUT) : 0)
                return pollfd(fd: fd, events: events, revents: 0)
            }
            let ready = poll(&entries, nfds_t(entries.count), nextTimeout())
            if ready < 0 && errno != EINTR { return }
            if entries[0].revents != 0 { return }
            for (index, listener) in listeners.enumerated() where entries[index + 1].revents != 0 {
                if listener.proto == .udp { answerDatagrams(listener.fd, &buffer) } else { accept(listener.fd) }
            }
            for (offset, fd) in order.enumerated() {
                let revents = entries[1 + listeners.count + offset].revents
                if revents & Int16(POLLOUT) != 0 { flush(fd) }
                if revents & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 { receive(fd, &buffer) }
            }
            greetOverdue()
        }
    }

    /// Milliseconds until the next waiting connection is due a greeting, or -1.
    private func nextTimeout() -> Int32 {
        let due = connections.values.filter { $0.mode == .waiting }.map { $0.accepted + greetingDelay }.min()
        guard let due else { return -1 }
        let remaining = ContinuousClock.now.duration(to: due)
        if remaining <= .zero { return 0 }
        return Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
    }

    private func greeting(_ peer: String) -> [UInt8] { Array("\(name) \(peer)\n".utf8) }

    private func answerDatagrams(_ fd: Int32, _ buffer: inout [UInt8]) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count >= 0 else { return }
            guard let (address, port) = SocketAddress.parse(storage) else { continue }
            let answer = greeting(SocketAddress.text(address, port: port))
            _ = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, answer, answer.count, Int32(MSG_NOSIGNAL), $0, length) }
            }
        }
    }

    private mutating func accept(_ listener: Int32) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listener, $0, &length) }
            }
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let peer = SocketAddress.parse(storage).map { SocketAddress.text($0.address, port: $0.port) } ?? "unknown:0"
            connections[fd] = Connection(peer: peer, accepted: .now)
        }
    }

    private mutating func receive(_ fd: Int32, _ buffer: inout [UInt8]) {
        guard connections[fd] != nil else { return }
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard count > 0 else { return drop(fd) }
        let bytes = buffer[0..<count]
        switch connections[fd]?.mode {
        case .echo:
            queue(fd, Array(bytes))
        case .waiting:
            connections[fd]?.received += bytes
            classifyFirstBytes(fd)
        case .http:
            connections[fd]?.received += bytes
            answerHTTPWhenComplete(fd)
        case nil:
            return
        }
    }

    /// Decides from the first bytes whether this is an HTTP request or a plain client.
    private mutating func classifyFirstBytes(_ fd: Int32) {
        guard let received = connections[fd]?.received else { return }
        if Self.httpMethods.contains(where: { received.starts(with: $0) }) {
            connections[fd]?.mode = .http
            return answerHTTPWhenComplete(fd)
        }
        let maybeHTTP = Self.httpMethods.contains { $0.starts(with: received) }
        if maybeHTTP { return }
        greet(fd)
    }

    private mutating func answerHTTPWhenComplete(_ fd: Int32) {
        guard let connection = connections[fd] else { return }
        let end = Array("\r\n\r\n".utf8)
        let complete = connection.received.count >= end.count
            && (0...(connection.received.count - end.count)).contains { connection.received[$0..<$0 + end.count].elementsEqual(end) }
        guard complete || connection.received.count > 16384 else { return }
        let body = greeting(connection.peer)
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        connections[fd]?.received = []
        connections[fd]?.closeWhenSent = true
        queue(fd, Array(head.utf8) + body)
    }

    private mutating func greet(_ fd: Int32) {
        guard let connection = connections[fd] else { return }
        connections[fd]?.mode = .echo
        connections[fd]?.received = []
        queue(fd, greeting(connection.peer))
    }

    private mutating func greetOverdue() {
        let now = ContinuousClock.now
        for (fd, connection) in connections where connection.mode == .waiting && connection.accepted + greetingDelay <= now {
            greet(fd)
        }
    }

    private mutating func queue(_ fd: Int32, _ bytes: [UInt8]) {
        connections[fd]?.outgoing += bytes
        flush(fd)
    }

    private mutating func flush(_ fd: Int32) {
        guard let connection = connections[fd] else { return }
        if !connection.outgoing.isEmpty {
            let sent = connection.outgoing.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                return drop(fd)
            }
            connections[fd]?.outgoing.removeFirst(sent)
        }
        if connections[fd]?.outgoing.isEmpty == true && connections[fd]?.closeWhenSent == true {
            shutdown(fd, Int32(SHUT_WR))
            drop(fd)
        }
    }

    private mutating func drop(_ fd: Int32) {
        connections[fd] = nil
        close(fd)
    }
}
