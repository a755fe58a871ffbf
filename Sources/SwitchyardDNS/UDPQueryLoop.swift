#if canImport(Glibc)
import Glibc
#endif
import CSwitchyardSystem
import Logging
import NIOCore
import NIOPosix
import SwitchyardModel
import Synchronization

/// One UDP socket served by a thread of its own: a batch of queries read with one `recvmmsg`, each
/// answered into a slot of a buffer allocated once, the replies sent with one `sendmmsg`. No object
/// is made per datagram (NIO's datagram channel made a `SocketAddress` with its text, an envelope and
/// a reply buffer for each: perf put the channel's work at a third of the server's user CPU), and the
/// queries do not wait behind the event loops' other work (TCP, forwarding, the daemon's API client).
/// Replies that wait for the upstream are sent from the event loop they complete on.
public final class UDPQueryLoop: Sendable {
    /// Datagrams read and answered per system call.
    static let batch = 32
    /// The largest query read (a longer datagram is dropped); queries are a few dozen bytes.
    static let querySize = 2048
    static let addressSize = 128  // sockaddr_storage

    /// What the socket is called in logs and errors.
    public let name: String
    private let engine: QueryEngine
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let replySize: Int
    /// The socket; nil once the loop has closed it (a late upstream reply is then not sent).
    private let socket: Mutex<Int32?>
    private let wake: Int32
    private let control = Mutex(Control())
    /// Monotonic nanoseconds since the socket was last found empty while datagrams kept coming; 0
    /// when it was empty at the last read.
    private let busySince = Atomic<UInt64>(0)
    private let thread: NIOThreadPool

    /// A state of the loop a caller waits for.
    private enum Awaited {
        /// Not reading (paused or ended).
        case parked
        case ended
    }

    private struct Control {
        var paused = false
        var stopping = false
        var parked = false
        var ended = false
        var waiters: [(awaited: Awaited, continuation: CheckedContinuation<Void, Never>)] = []

        func reached(_ awaited: Awaited) -> Bool { awaited == .parked ? parked : ended }
    }

    /// Serves the bound datagram socket `fd`, which it owns from now on (closed by ``close()``), on
    /// a thread whose nice value is `nice` (0: the process's).
    init(fd: Int32, name: String, engine: QueryEngine, eventLoop: any EventLoop, nice: Int32 = 0, logger: Logger) throws {
        let wake = switchyard_eventfd()
        guard wake >= 0 else { throw IOError(errnoCode: errno, reason: "eventfd") }
        self.name = name
        self.engine = engine
        self.eventLoop = eventLoop
        self.logger = logger
        self.replySize = max(512, engine.maxUDPReplySize)
        self.socket = Mutex(fd)
        self.wake = wake
        thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        thread.submit { [self] state in
            guard case .active = state else { return finish() }
            if nice != 0, switchyard_set_thread_nice(nice) != 0 { Self.cannotSetNice(nice, errno: errno, logger: logger) }
            serve(fd)
        }
    }

    /// Stops reading: returns once the loop has answered the batch in hand and reads no more.
    /// Datagrams arriving meanwhile wait in the socket (for ``resume()`` or another process).
    public func pause() async {
        await ask({ $0.paused = true }, thenAwait: .parked)
    }

    /// Reads again after ``pause()``.
    public func resume() {
        control.withLock { $0.paused = false }
        signal()
    }

    /// How long the datagrams queued now may have waited: the time since the socket was last found
    /// empty, while it has not been (zero when the loop keeps up). The overload signal of node-local DNS.
    public var lag: Duration {
        let since = busySince.load(ordering: .relaxed)
        guard since != 0 else { return .zero }
        let now = NIODeadline.now().uptimeNanoseconds
        return .nanoseconds(Int64(now > since ? now - since : 0))
    }

    /// Answers the batch in hand, closes the socket and ends the thread. Datagrams still queued are
    /// dropped, or stay for another process that holds the same socket.
    public func close() async {
        await ask({ $0.stopping = true }, thenAwait: .ended)
        try? await thread.shutdownGracefully()
    }

    /// Makes a request of the loop (`change`), wakes it, and returns once it has reached `awaited`.
    private func ask(_ change: (inout Control) -> Void, thenAwait awaited: Awaited) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let reached = control.withLock { control in
                change(&control)
                if control.reached(awaited) { return true }
                control.waiters.append((awaited, continuation))
                return false
            }
            if reached { continuation.resume() } else { signal() }
        }
    }

    private func signal() {
        var one: UInt64 = 1
        _ = write(wake, &one, MemoryLayout<UInt64>.size)
    }

    /// The loop, on the pool's thread until stopped.
    private func serve(_ fd: Int32) {
        let queries = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batch * Self.querySize, alignment: 16)
        let replies = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batch * replySize, alignment: 16)
        let addresses = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batch * Self.addressSize, alignment: 16)
        var queryLengths = [UInt32](repeating: 0, count: Self.batch)
        var replyLengths = [UInt32](repeating: 0, count: Self.batch)
        var addressLengths = [UInt32](repeating: 0, count: Self.batch)
        var ready = [UInt32](repeating: 0, count: Self.batch)
        defer {
            queries.deallocate()
            replies.deallocate()
            addresses.deallocate()
        }
        let queryBase = queries.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let replyBase = replies.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let addressBase = addresses.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while true {
            let (stopping, paused) = control.withLock { control in
                if !control.paused { control.parked = false }
                return (control.stopping, control.paused)
            }
            if stopping { break }
            if paused {
                park()
                _ = switchyard_wait_readable(-1, wake)
                continue
            }
            let received = switchyard_receive_datagrams(
                fd, queryBase, UInt32(Self.querySize), UInt32(Self.batch), &queryLengths, addressBase, &addressLengths)
            if received < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK:
                    busySince.store(0, ordering: .relaxed)
                    _ = switchyard_wait_readable(fd, wake)
                case EINTR:
                    break
                default:
                    logger.warning("DNS UDP read failed; reading on", metadata: ["socket": "\(name)", "errno": "\(errno)"])
                    usleep(10_000)
                }
                continue
            }
            if busySince.load(ordering: .relaxed) == 0 { busySince.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed) }
            var count = 0
            for slot in 0..<Int(received) where queryLengths[slot] > 0 {
                let query = UnsafeRawBufferPointer(start: queryBase + slot * Self.querySize, count: Int(queryLengths[slot]))
                let address = UnsafeRawBufferPointer(start: addressBase + slot * Self.addressSize, count: Int(addressLengths[slot]))
                switch engine.handle(query, maxSize: nil, client: Self.ipAddress(address), eventLoop: eventLoop) {
                case .drop:
                    continue
                case .reply(let reply):
                    guard reply.count <= replySize else {
                        sendLater(reply, to: Array(address))
                        continue
                    }
                    reply.withUnsafeBytes { bytes in
                        UnsafeMutableRawBufferPointer(start: replyBase + slot * replySize, count: replySize).copyMemory(from: bytes)
                    }
                    replyLengths[slot] = UInt32(reply.count)
                    ready[count] = UInt32(slot)
                    count += 1
                case .pending(let future):
                    let peer = Array(address)
                    future.whenSuccess { [self] reply in sendLater(reply, to: peer) }
                }
            }
            send(fd, count: count, replies: replyBase, lengths: &replyLengths, addresses: addressBase,
                 addressLengths: &addressLengths, ready: &ready)
        }
        socket.withLock { socket in
            if let fd = socket { Glibc.close(fd) }
            socket = nil
        }
        Glibc.close(wake)
        finish()
    }

    /// Sends the replies of the slots listed in `ready`; a reply the kernel refuses (its error is the
    /// first one's) is skipped, not retried.
    private func send(_ fd: Int32, count: Int, replies: UnsafeMutablePointer<UInt8>, lengths: inout [UInt32],
                      addresses: UnsafeMutablePointer<UInt8>, addressLengths: inout [UInt32], ready: inout [UInt32]) {
        var sent = 0
        while sent < count {
            let result = ready.withUnsafeBufferPointer { slots in
                switchyard_send_datagrams(fd, replies, UInt32(replySize), lengths, addresses, addressLengths,
                                          slots.baseAddress! + sent, UInt32(count - sent))
            }
            if result > 0 {
                sent += Int(result)
            } else if result < 0, errno == EINTR {
                continue
            } else {
                // EAGAIN (the send buffer is full) or an error for this client: its reply is lost, as
                // a datagram can be; the client retries.
                sent += 1
            }
        }
    }

    /// Sends one reply from another thread (an upstream's, or one larger than a slot).
    private func sendLater(_ reply: [UInt8], to address: [UInt8]) {
        socket.withLock { socket in
            guard let fd = socket else { return }
            reply.withUnsafeBytes { bytes in
                address.withUnsafeBytes { name in
                    _ = sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL),
                               name.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(name.count))
                }
            }
        }
    }

    /// Tells ``pause()`` callers the loop is not reading.
    private func park() {
        let waiters = control.withLock { control in
            control.parked = true
            defer { control.waiters.removeAll { $0.awaited == .parked } }
            return control.waiters.filter { $0.awaited == .parked }
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Tells ``close()`` callers (and pending ``pause()`` ones) the loop has ended.
    private func finish() {
        let waiters = control.withLock { control in
            control.ended = true
            control.parked = true
            defer { control.waiters = [] }
            return control.waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    private static let toldNice = Atomic(false)

    /// Says once per process that the query threads keep the process's priority.
    private static func cannotSetNice(_ nice: Int32, errno code: Int32, logger: Logger) {
        guard !toldNice.exchange(true, ordering: .relaxed) else { return }
        logger.notice("DNS query threads keep the process's priority: setting nice \(nice) needs CAP_SYS_NICE (--dns-nice 0 to not ask)",
                      metadata: ["error": "\(String(cString: strerror(code)))"])
    }

    /// The IP address of a sockaddr_in or sockaddr_in6, read in place.
    static func ipAddress(_ address: UnsafeRawBufferPointer) -> IPAddress? {
        guard address.count >= 2 else { return nil }
        let family = Int32(address.loadUnaligned(as: sa_family_t.self))
        if family == AF_INET, address.count >= 8 {
            return .v4(IPv4Address(UInt32(bigEndian: address.loadUnaligned(fromByteOffset: 4, as: UInt32.self))))
        }
        if family == AF_INET6, address.count >= 24 {
            return .v6(IPv6Address(high: UInt64(bigEndian: address.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                                   low: UInt64(bigEndian: address.loadUnaligned(fromByteOffset: 16, as: UInt64.self))))
        }
        return nil
    }
}
