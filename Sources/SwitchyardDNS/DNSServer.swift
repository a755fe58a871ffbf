#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import SwitchyardModel
import SwitchyardSystem
import Synchronization

/// Where and how the server listens.
public struct DNSServerConfiguration: Sendable {
    /// Addresses to serve UDP and TCP on. Port 0 picks a free port (the same for UDP and TCP).
    public var listen: [SocketAddress]
    /// UDP sockets per address (SO_REUSEPORT), each read by a thread of its own.
    public var udpSocketsPerAddress: Int
    /// A TCP connection without a query for this long is closed (a client that stops reading its
    /// replies stops being read, so it is closed too).
    public var tcpIdleTimeout: TimeAmount
    /// TCP connections open at once; more are closed when accepted.
    public var maxTCPConnections: Int
    /// Replies one TCP connection may have queued or awaited; beyond it the connection is not read
    /// until they drain, and a client that still has twice as many queries buffered is cut off.
    public var maxQueuedRepliesPerConnection: Int

    /// The largest reply sent over UDP, whatever the client's EDNS buffer says; larger answers are
    /// truncated (TC) and the client retries over TCP. 1232 is the DNS Flag Day value.
    public var maxUDPReplySize: Int
    /// Clients whose out-of-zone questions are forwarded upstream; others get REFUSED, so the server
    /// is not an open resolver. Empty: loopback only.
    public var forwardingClients: [CIDR]
    /// The nice value of the threads that read UDP queries (``UDPQueryLoop``); lowering it below the
    /// process's needs CAP_SYS_NICE (without it they keep the process's, and say so once).
    public var udpThreadNice: Int32
    /// -10: a query on a busy node goes before the daemon's own syncs and the processes at the
    /// default priority (measured: p99 during 100 changes/s 1.23 → 0.80 ms).
    public static let defaultUDPThreadNice: Int32 = -10

    public init(listen: [SocketAddress], udpSocketsPerAddress: Int = 1, tcpIdleTimeout: TimeAmount = .seconds(10),
                maxTCPConnections: Int = 1000, maxQueuedRepliesPerConnection: Int = 64, maxUDPReplySize: Int = 1232,
                forwardingClients: [CIDR] = [], udpThreadNice: Int32 = DNSServerConfiguration.defaultUDPThreadNice) {
        self.listen = listen
        self.udpThreadNice = udpThreadNice
        self.maxUDPReplySize = max(512, maxUDPReplySize)
        self.forwardingClients = forwardingClients
        self.udpSocketsPerAddress = max(1, udpSocketsPerAddress)
        self.tcpIdleTimeout = tcpIdleTimeout
        self.maxTCPConnections = max(1, maxTCPConnections)
        self.maxQueuedRepliesPerConnection = max(1, maxQueuedRepliesPerConnection)
    }
}

/// Why the server could not start.
public enum DNSServerError: Error, CustomStringConvertible {
    case bindFailed(address: String, transport: String, underlying: any Error)
    case alreadyStarted
    case notAnIPAddress(String)

    public var description: String {
        switch self {
        case .bindFailed(let address, let transport, let error): "cannot listen on \(address)/\(transport): \(error)"
        case .alreadyStarted: "the DNS server is already running"
        case .notAnIPAddress(let address): "\(address) is not an IP address and port"
        }
    }
}

/// Told about every reply sent: its rcode (the header's low 4 bits) and the nanoseconds from the
/// query's arrival to the reply. Runs on the query's event loop; keep it cheap.
public typealias DNSReplyObserver = @Sendable (_ rcode: UInt8, _ nanoseconds: Int64) -> Void

/// What became of one query.
enum QueryOutcome {
    /// Nothing is sent.
    case drop
    /// Send these bytes now.
    case reply([UInt8])
    /// The reply needs the upstream; it completes on the query's event loop.
    case pending(EventLoopFuture<[UInt8]>)
}

/// Answers from the zone held in `zones`, forwarding out-of-zone names when a forwarder is set.
/// Shared by every channel handler.
struct QueryEngine: Sendable {
    let zones: ZoneHolder
    let forwarder: Forwarder?
    let logger: Logger
    var observer: DNSReplyObserver? = nil
    /// See ``DNSServerConfiguration/maxUDPReplySize``.
    var maxUDPReplySize = 1232
    /// See ``DNSServerConfiguration/forwardingClients`` (loopback is always allowed).
    var forwardingClients: [CIDR] = []
    /// Node-local autopath, when on.
    var autopath: Autopath? = nil

    /// Whether `client` may have names forwarded upstream.
    func mayForward(for client: IPAddress?) -> Bool {
        guard forwarder != nil, let ip = client else { return false }
        if Self.loopback.contains(where: { $0.contains(ip) }) { return true }
        return forwardingClients.contains { $0.contains(ip) }
    }

    static let loopback = [CIDR("127.0.0.0/8"), CIDR("::1/128")].compactMap { $0 }

    /// Answers one query and tells the observer, if any, the reply's rcode and how long it took.
    func handle(_ bytes: UnsafeRawBufferPointer, maxSize: Int?, client: IPAddress?, eventLoop: any EventLoop) -> QueryOutcome {
        guard let observer else { return answer(bytes, maxSize: maxSize, client: client, eventLoop: eventLoop) }
        let start = NIODeadline.now()
        switch answer(bytes, maxSize: maxSize, client: client, eventLoop: eventLoop) {
        case .drop: return .drop
        case .reply(let reply):
            Self.report(reply, since: start, to: observer)
            return .reply(reply)
        case .pending(let future):
            return .pending(future.map { reply in
                Self.report(reply, since: start, to: observer)
                return reply
            })
        }
    }

    /// Tells `observer` a reply's rcode and how long it took (not a closure per query: the hot path).
    private static func report(_ reply: [UInt8], since start: NIODeadline, to observer: DNSReplyObserver) {
        guard reply.count > 3 else { return }
        observer(reply[3] & 0x0f, (NIODeadline.now() - start).nanoseconds)
    }

    /// Answers one query from `client`. `maxSize` nil means UDP (the limit comes from the query's
    /// EDNS, capped at ``maxUDPReplySize``). Names outside the zones are forwarded only for allowed
    /// clients asking for recursion (RD); others are REFUSED.
    func answer(_ bytes: UnsafeRawBufferPointer, maxSize: Int?, client: IPAddress?, eventLoop: any EventLoop) -> QueryOutcome {
        let request: Request
        switch Request.parse(bytes) {
        case .drop: return .drop
        case .reply(let bytes): return .reply(bytes)
        case .request(let parsed): request = parsed
        }
        let limit = maxSize ?? min(request.udpLimit, maxUDPReplySize)
        let zone = zones.current
        let resolution = Resolver.resolve(request.question, in: zone)
        // Who may use the upstream is decided only for names that would go there: cluster names,
        // the hot path, never look at the client's address.
        var upstream: Forwarder? { request.flags.recursionDesired && mayForward(for: client) ? forwarder : nil }
        if case .nameError = resolution, let autopath, let address = client {
            let candidates = autopath.candidates(after: request.question.name, client: address, zone: zone)
            if !candidates.isEmpty {
                let original = Responder.reply(to: request, resolution: resolution, zone: zone, maxSize: limit)
                return AutopathWalk(request: request, zone: zone, limit: limit, forwarder: upstream, eventLoop: eventLoop, original: original)
                    .run(candidates)
            }
        }
        switch resolution {
        case .forward:
            guard let forwarder = upstream, forwarder.forwards(request.question.name) else {
                return .reply(Responder.reply(to: request, resolution: .refused, zone: zone, maxSize: limit))
            }
            let logger = self.logger
            let future = forwarder.resolve(request.question, dnssecOK: request.edns?.dnssecOK ?? false, on: eventLoop)
                .map { upstream in Responder.relay(upstream, to: request, maxSize: limit) }
                .recover { error in
                    logger.debug("forward failed", metadata: ["error": "\(error)"])
                    return Responder.reply(to: request, rcode: .serverFailure, recursionAvailable: true)
                }
            return .pending(future)
        case .externalName(let target, let origin):
            guard let forwarder = upstream, forwarder.forwards(target) else {
                return .reply(Responder.reply(
                    to: request, externalTarget: target, origin: origin, upstream: DNSMessage(), zone: zone, maxSize: limit))
            }
            let question = Question(name: target, type: request.question.type)
            let future = forwarder.resolve(question, on: eventLoop).map { Optional($0) }
                .recover { _ in nil }
                .map { upstream in
                    Responder.reply(to: request, externalTarget: target, origin: origin, upstream: upstream, zone: zone,
                                    maxSize: limit)
                }
            return .pending(future)
        default:
            return .reply(Responder.reply(to: request, resolution: resolution, zone: zone, maxSize: limit))
        }
    }
}

/// A socket the server reads: UDP on a thread of its own (``UDPQueryLoop``), or a TCP listener
/// whose connections are served on the event loops.
public enum ServedSocket: Sendable {
    case udp(UDPQueryLoop)
    case tcp(any Channel)

    /// Stops reading; returns once it has (queries and connections arriving meanwhile wait in the socket).
    public func pause() async {
        switch self {
        case .udp(let loop): await loop.pause()
        case .tcp(let channel): try? await channel.setOption(.autoRead, value: false).get()
        }
    }

    /// Reads again after ``pause()``.
    public func resume() async {
        switch self {
        case .udp(let loop): loop.resume()
        case .tcp(let channel): try? await channel.setOption(.autoRead, value: true).get()
        }
    }

    /// How long a query arriving now waits before it is read: the UDP loop's ``UDPQueryLoop/lag``,
    /// or how long a task waits on the TCP listener's event loop (measured by running one).
    public func lag() async -> Duration {
        switch self {
        case .udp(let loop):
            return loop.lag
        case .tcp(let channel):
            let clock = ContinuousClock()
            let start = clock.now
            try? await channel.eventLoop.submit {}.get()
            return start.duration(to: clock.now)
        }
    }

    fileprivate func close() async {
        switch self {
        case .udp(let loop): await loop.close()
        case .tcp(let channel): try? await channel.close()
        }
    }
}

/// The cluster DNS server: UDP and TCP on every listen address, answering from an immutable zone
/// that `publish(_:)` swaps atomically.
public final class DNSServer: Sendable {
    public let configuration: DNSServerConfiguration
    private let zones: ZoneHolder
    private let engine: QueryEngine
    private let group: any EventLoopGroup
    private let logger: Logger
    private let sockets = Mutex<[ServedSocket]>([])
    /// The TCP connections held, shared by every listen address.
    private let tcpConnections: ConnectionLimit
    private let refusedConnection: (@Sendable () -> Void)?
    private let bound = Mutex<[SocketAddress]>([])

    /// A server that will answer from `zone` until another is published. `forwarder` nil means
    /// out-of-zone names are REFUSED. `observer` (e.g. metrics) hears of every reply,
    /// `refusedConnection` of every TCP connection closed because the cap was reached.
    public init(
        configuration: DNSServerConfiguration, zone: DNSZone, forwarder: Forwarder? = nil,
        group: any EventLoopGroup, logger: Logger = Logger(label: "switchyard.dns"), observer: DNSReplyObserver? = nil,
        refusedConnection: (@Sendable () -> Void)? = nil, autopath: Autopath? = nil
    ) {
        self.configuration = configuration
        self.refusedConnection = refusedConnection
        self.zones = ZoneHolder(zone)
        tcpConnections = ConnectionLimit(limit: configuration.maxTCPConnections)
        self.engine = QueryEngine(zones: zones, forwarder: forwarder, logger: logger, observer: observer,
                                  maxUDPReplySize: configuration.maxUDPReplySize, forwardingClients: configuration.forwardingClients,
                                  autopath: autopath)
        self.group = group
        self.logger = logger
    }

    /// The zone currently served.
    public var zone: DNSZone { zones.current }

    /// Serves `zone` to every query that starts from now on.
    public func publish(_ zone: DNSZone) {
        zones.publish(zone)
    }

    /// TCP connections refused because ``DNSServerConfiguration/maxTCPConnections`` were open.
    public var refusedTCPConnections: Int { tcpConnections.refused }

    /// The UDP addresses actually bound (with real ports when 0 was asked for).
    public var boundAddresses: [SocketAddress] { bound.withLock { $0 } }

    /// Binds every listen address (UDP then TCP on the same port). Returns the bound UDP addresses.
    @discardableResult
    public func start() async throws -> [SocketAddress] {
        guard sockets.withLock({ $0.isEmpty }) else { throw DNSServerError.alreadyStarted }
        var opened: [ServedSocket] = []
        var addresses: [SocketAddress] = []
        do {
            for address in configuration.listen {
                // Port 0: the kernel picks a free UDP port, whose TCP twin may be taken (the
                // ephemeral range is shared); then pick again, a few times.
                var attempt = 0
                while true {
                    var group: [ServedSocket] = []
                    var udpAddress = address
                    do {
                        for _ in 0..<configuration.udpSocketsPerAddress {
                            let (loop, local) = try bindUDP(udpAddress)
                            group.append(.udp(loop))
                            udpAddress = local
                        }
                        group.append(.tcp(try await bindTCP(udpAddress)))
                        opened += group
                        addresses.append(udpAddress)
                        break
                    } catch DNSServerError.bindFailed(_, "tcp", let underlying as IOError)
                        where underlying.errnoCode == EADDRINUSE && address.port == 0 && attempt < 8 {
                        for socket in group { await socket.close() }
                        attempt += 1
                    } catch {
                        for socket in group { await socket.close() }
                        throw error
                    }
                }
            }
        } catch {
            for socket in opened { await socket.close() }
            throw error
        }
        sockets.withLock { $0 = opened }
        bound.withLock { $0 = addresses }
        logger.info("DNS listening", metadata: ["udp+tcp": "\(addresses.map { "\($0)" })"])
        return addresses
    }

    /// Closes every socket. Queries in flight on them are dropped.
    public func stop() async throws {
        let open = sockets.withLock { sockets in
            defer { sockets = [] }
            return sockets
        }
        for socket in open { await socket.close() }
    }

    /// Serves UDP and TCP on sockets bound elsewhere (transparent sockets on a ClusterIP, or sockets
    /// a previous process handed over); `udp` is a bound datagram socket, `tcp` a listening one.
    /// Returns them served, UDP first; they own the descriptors from now on: close them with
    /// ``detach(_:)``. ``stop()`` leaves them to their owner.
    public func attach(udp: Int32, tcp: Int32, describing name: String) async throws -> [ServedSocket] {
        let loop: UDPQueryLoop
        do {
            loop = try UDPQueryLoop(fd: udp, name: "\(name)/udp", engine: engine, eventLoop: group.next(),
                                    nice: configuration.udpThreadNice, logger: logger)
        } catch {
            Glibc.close(udp)
            Glibc.close(tcp)
            throw DNSServerError.bindFailed(address: name, transport: "udp", underlying: error)
        }
        do {
            return [.udp(loop), .tcp(try await bindTCP(.descriptor(tcp), name: name))]
        } catch {
            await loop.close()
            throw error
        }
    }

    /// Closes sockets made by ``attach(udp:tcp:describing:)``. A datagram already read is answered
    /// first; datagrams still queued in a socket that another process holds stay for that process.
    public func detach(_ attached: [ServedSocket]) async {
        for socket in attached { await socket.close() }
    }

    /// Where a channel's socket comes from.
    private enum Endpoint {
        case address(SocketAddress)
        case descriptor(Int32)
    }

    /// Binds a UDP socket to `address` (SO_REUSEPORT, so several can share it) and serves it on a
    /// thread of its own; returns it with the address it is bound to (the port chosen for port 0).
    private func bindUDP(_ address: SocketAddress) throws -> (UDPQueryLoop, SocketAddress) {
        let name = "\(address)"
        do {
            guard let ip = address.ipAddress, let port = address.port else { throw DNSServerError.notAnIPAddress(name) }
            // Dual-stack on `::`, as the TCP listener beside it.
            let fd = try ListeningSocket(.udp, address: ip, port: UInt16(port), transparent: false, v6Only: false).open(in: .current)
            let local = try SocketAddress(ipAddress: ip, port: Self.boundPort(fd) ?? port)
            do {
                let loop = try UDPQueryLoop(fd: fd, name: "\(local)/udp", engine: engine, eventLoop: group.next(),
                                            nice: configuration.udpThreadNice, logger: logger)
                return (loop, local)
            } catch {
                Glibc.close(fd)
                throw error
            }
        } catch {
            throw DNSServerError.bindFailed(address: name, transport: "udp", underlying: error)
        }
    }

    /// The port a socket is bound to.
    private static func boundPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        // sin_port and sin6_port are both at offset 2, in network order.
        return withUnsafeBytes(of: storage) { Int(UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self))) }
    }

    private func bindTCP(_ address: SocketAddress) async throws -> any Channel {
        try await bindTCP(.address(address), name: "\(address)")
    }

    private func bindTCP(_ endpoint: Endpoint, name: String) async throws -> any Channel {
        let engine = self.engine
        let idle = configuration.tcpIdleTimeout
        let maxQueued = configuration.maxQueuedRepliesPerConnection
        let connections = tcpConnections
        let refused = refusedConnection
        do {
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
                // Out of descriptors (EMFILE), accepting again at once spins a core: pause a second.
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler()) }
                }
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    guard connections.admit() else {
                        refused?()
                        return channel.close()
                    }
                    channel.closeFuture.whenComplete { _ in connections.release() }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(
                            TCPQueryHandler(engine: engine, idleTimeout: idle, maxQueuedReplies: maxQueued))
                    }
                }
            switch endpoint {
            case .address(let address): return try await bootstrap.bind(to: address).get()
            case .descriptor(let fd): return try await bootstrap.withBoundSocket(fd).get()
            }
        } catch {
            throw DNSServerError.bindFailed(address: name, transport: "tcp", underlying: error)
        }
    }
}

/// One TCP connection: length-prefixed queries, any number per connection, replies in the order
/// they complete. Replies are bounded: with `maxQueuedReplies` queued or awaited, or the socket not
/// writable, the connection is not read until they drain, so a client that pipelines queries and
/// never reads holds at most that many replies (it took the server to 2.3 GB before) and, read no
/// more, is closed after the idle period.
final class TCPQueryHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let engine: QueryEngine
    let idleTimeout: TimeAmount
    let maxQueuedReplies: Int
    private var idleTimer: Scheduled<Void>?
    /// The peer's address, read once per connection.
    private var client: IPAddress?
    /// Replies written or awaited whose write has not completed.
    private var queued = 0
    /// A read was asked for while the replies were at their limit.
    private var readHeld = false

    init(engine: QueryEngine, idleTimeout: TimeAmount, maxQueuedReplies: Int) {
        self.engine = engine
        self.idleTimeout = idleTimeout
        self.maxQueuedReplies = maxQueuedReplies
    }

    func channelActive(context: ChannelHandlerContext) {
        client = context.channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        armIdleTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        context.fireChannelInactive()
    }

    private func armIdleTimer(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        let channel = context.channel
        idleTimer = context.eventLoop.scheduleTask(in: idleTimeout) { channel.close(promise: nil) }
    }

    private var mayRead: Bool { queued < maxQueuedReplies }

    func read(context: ChannelHandlerContext) {
        guard mayRead, context.channel.isWritable else {
            readHeld = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReading(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard readHeld, mayRead, context.channel.isWritable else { return }
        readHeld = false
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Frames already read keep coming after reading stopped; a client this far ahead is cut off.
        guard queued < 2 * maxQueuedReplies else {
            context.close(promise: nil)
            return
        }
        armIdleTimer(context: context)
        let frame = Self.unwrapInboundIn(data)
        let outcome = frame.withUnsafeReadableBytes { raw in
            engine.handle(raw, maxSize: DNSLimits.maxMessageSize, client: client, eventLoop: context.eventLoop)
        }
        switch outcome {
        case .drop:
            break
        case .reply(let bytes):
            send(bytes, context: context)
        case .pending(let future):
            queued += 1
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            future.hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = bound.value
                handler.queued -= 1
                if case .success(let bytes) = result { handler.send(bytes, context: context) } else { handler.resumeReading(context: context) }
            }
        }
    }

    private func send(_ bytes: [UInt8], context: ChannelHandlerContext) {
        queued += 1
        let written = context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            let (handler, context) = bound.value
            handler.queued -= 1
            handler.resumeReading(context: context)
        }
        context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.framed(bytes)), promise: written)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
