#if canImport(Glibc)
import Glibc
#endif
import SwitchyardModel

/// A small TCP/UDP client for echo servers: one request, one classified outcome. It runs in-process;
/// with a namespace name its socket is made inside that network namespace.
public enum Probe {
    /// The bytes a probe sends first; an echo server greets at once on any first bytes.
    static let hello = "probe\n"

    /// Sends one request to `address`:`port` and classifies what comes back.
    /// - Parameters:
    ///   - source: a local address to send from (must exist in the namespace), or nil for the default.
    ///   - sourcePort: a fixed local port (e.g. to resend a UDP "flow" with the same 5-tuple), or nil.
    ///   - namespace: an `ip netns` name to send from, or nil for the caller's namespace.
    public static func request(
        to address: IPAddress, port: Int, proto: TransportProtocol, source: IPAddress? = nil, sourcePort: Int? = nil,
        timeout: Duration = .seconds(1), namespace: String? = nil
    ) -> ProbeResult {
        let deadline = ContinuousClock.now + timeout
        do {
            switch proto {
            case .udp:
                return try udp(to: address, port: port, source: source, sourcePort: sourcePort, deadline: deadline, namespace: namespace)
            case .tcp:
                let fd = try connectTCP(to: address, port: port, source: source, sourcePort: sourcePort, deadline: deadline, namespace: namespace)
                guard case .connected(let fd) = fd else { return fd.failure ?? .failed("connect") }
                defer { close(fd) }
                guard sendAll(fd, hello) else { return .failed("send: \(String(cString: strerror(errno)))") }
                return readReply(fd, deadline: deadline)
            case .sctp:
                return .failed("SCTP is not supported by the probe")
            }
        } catch {
            return .failed(error.description)
        }
    }

    /// The outcome of a TCP connect: a connected descriptor or a classified failure.
    enum Connect {
        case connected(Int32)
        case notConnected(ProbeResult)

        var failure: ProbeResult? {
            if case .notConnected(let result) = self { return result }
            return nil
        }
    }

    /// Connects a TCP socket before `deadline`.
    static func connectTCP(
        to address: IPAddress, port: Int, source: IPAddress?, sourcePort: Int? = nil, deadline: ContinuousClock.Instant, namespace: String?
    ) throws(SandboxError) -> Connect {
        let fd = try NamespaceSocket.make(
            family: SocketAddress.family(of: address), type: Int32(SOCK_STREAM.rawValue), namespace: namespace)
        var keep = false
        defer { if !keep { close(fd) } }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        try bind(fd, source, port: sourcePort, family: address.family)
        var (storage, length) = SocketAddress.make(address, port: port)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        if status != 0 {
            guard errno == EINPROGRESS else { return .notConnected(classify(errno: errno, call: "connect")) }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return .notConnected(.timedOut) }
            var error: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
            if error != 0 { return .notConnected(classify(errno: error, call: "connect")) }
        }
        keep = true
        return .connected(fd)
    }

    private static func udp(
        to address: IPAddress, port: Int, source: IPAddress?, sourcePort: Int?, deadline: ContinuousClock.Instant, namespace: String?
    ) throws(SandboxError) -> ProbeResult {
        let fd = try NamespaceSocket.make(
            family: SocketAddress.family(of: address), type: Int32(SOCK_DGRAM.rawValue), namespace: namespace)
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        try bind(fd, source, port: sourcePort, family: address.family)
        var (storage, length) = SocketAddress.make(address, port: port)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard status == 0 else { return classify(errno: errno, call: "connect") }
        guard sendAll(fd, hello) else { return classify(errno: errno, call: "send") }
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            guard wait(fd, for: Int16(POLLIN), until: deadline) else { return .timedOut }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return classify(errno: errno, call: "recv")
            }
            let line = String(decoding: buffer[0..<count], as: UTF8.self)
            return EchoReply(line: line).map(ProbeResult.reply) ?? .failed("unexpected answer \"\(line)\"")
        }
    }

    /// Reads the greeting line on a connected TCP socket.
    static func readReply(_ fd: Int32, deadline: ContinuousClock.Instant) -> ProbeResult {
        switch readLine(fd, deadline: deadline) {
        case .line(let line):
            return EchoReply(line: line).map(ProbeResult.reply) ?? .failed("unexpected answer \"\(line)\"")
        case .closed:
            return .failed("connected, but closed without a greeting")
        case .timedOut:
            return .failed("connected, but no greeting before the timeout")
        case .error(let code):
            return code == ECONNRESET ? .failed("connected, then reset") : classify(errno: code, call: "recv")
        }
    }

    enum LineRead: Equatable {
        case line(String)
        case closed
        case timedOut
        case error(Int32)
    }

    /// Reads bytes up to and including the first newline (returned without it).
    static func readLine(_ fd: Int32, deadline: ContinuousClock.Instant) -> LineRead {
        var collected: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = recv(fd, &byte, 1, 0)
            if count == 1 {
                if byte == UInt8(ascii: "\n") { return .line(String(decoding: collected, as: UTF8.self)) }
                collected.append(byte)
                continue
            }
            if count == 0 { return .closed }
            guard errno == EAGAIN || errno == EINTR else { return .error(errno) }
            guard wait(fd, for: Int16(POLLIN), until: deadline) else { return .timedOut }
        }
    }

    /// Writes all of `text` (small writes on a fresh socket; retries briefly on a full buffer).
    static func sendAll(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EINTR {
                    _ = wait(fd, for: Int16(POLLOUT), until: .now + .seconds(1))
                    continue
                }
                return false
            }
            bytes = bytes.dropFirst(sent)
        }
        return true
    }

    /// Polls `fd` for `events` until `deadline`; true when ready (or in error, which the next call reports).
    static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return false }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000
                + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }
        }
    }

    /// Binds to `source` and/or `port` when either is given (any address of `family` otherwise).
    private static func bind(_ fd: Int32, _ source: IPAddress?, port: Int?, family: IPFamily) throws(SandboxError) {
        guard source != nil || port != nil else { return }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let local = source ?? (family == .ipv4 ? IPAddress.v4(IPv4Address(0)) : IPAddress.v6(IPv6Address(high: 0, low: 0)))
        var (storage, length) = SocketAddress.make(local, port: port ?? 0)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard status == 0 else { throw .socket(call: "bind", address: "\(local):\(port ?? 0)", errno: errno) }
    }

    /// Maps a socket errno to an outcome.
    static func classify(errno code: Int32, call: String) -> ProbeResult {
        switch code {
        case ECONNREFUSED: .refused
        case EHOSTUNREACH, ENETUNREACH, EACCES, EPERM: .unreachable
        case ETIMEDOUT: .timedOut
        default: .failed("\(call): \(String(cString: strerror(code)))")
        }
    }
}
