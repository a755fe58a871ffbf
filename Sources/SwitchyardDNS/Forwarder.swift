import NIOCore
import NIOPosix
import Synchronization

/// Why an upstream lookup failed.
public enum ForwarderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No reply from `server` within the timeout.
    case timeout(server: String)
    /// `server` answered with something that was not a reply to our question.
    case badReply(server: String, reason: String)
    /// Every upstream failed; the last failure is given.
    case allFailed(question: String, last: String)
    /// No upstream is configured.
    case noUpstream
    /// As many distinct questions as allowed are waiting for the upstreams already.
    case overloaded(inFlight: Int)

    public var description: String {
        switch self {
        case .timeout(let s): "upstream \(s) timed out"
        case .badReply(let s, let r): "upstream \(s) sent a bad reply: \(r)"
        case .allFailed(let q, let last): "every upstream failed for \(q); last: \(last)"
        case .noUpstream: "no upstream configured"
        case .overloaded(let count): "\(count) questions already wait for the upstreams"
        }
    }
}

/// A zone whose names go to servers of their own (`--dns-stub-domain ZONE=ADDR[,ADDR]`).
public struct StubDomain: Sendable, Hashable {
    public var zone: DNSName
    public var servers: [SocketAddress]

    public init(zone: DNSName, servers: [SocketAddress]) {
        self.zone = zone.lowercased()
        self.servers = servers
    }
}

/// Sends out-of-zone questions to upstream servers: UDP first (through a small shared pool of
/// sockets, ``UpstreamSockets``), TCP when the reply is truncated; on timeout or error the next
/// server is tried. Replies are cached (see `ForwarderCache`). Identical questions waiting for the
/// upstream share one upstream query, and at most `maxInFlight` distinct questions wait at once:
/// beyond that a question fails at once (SERVFAIL) and is counted, so a flood of random names
/// against a silent upstream costs neither descriptors nor unbounded memory.
public final class Forwarder: Sendable {
    public let servers: [SocketAddress]
    /// Zones forwarded to servers of their own (CoreDNS's stub domains, a `forward` block per zone),
    /// most specific first.
    public let stubDomains: [StubDomain]
    public let timeout: TimeAmount
    public let cache: ForwarderCache
    public let maxInFlight: Int
    private let group: any EventLoopGroup
    private let sockets: UpstreamSockets
    private let waiting = Mutex<[ForwarderCache.Key: EventLoopFuture<DNSMessage>]>([:])
    private let overloadCount = Mutex(0)

    public init(
        servers: [SocketAddress], stubDomains: [StubDomain] = [], group: any EventLoopGroup, timeout: TimeAmount = .seconds(2),
        cache: ForwarderCache = ForwarderCache(), maxInFlight: Int = 1000
    ) {
        self.servers = servers
        self.stubDomains = stubDomains.sorted { $0.zone.labelCount > $1.zone.labelCount }
        self.group = group
        self.timeout = timeout
        self.cache = cache
        self.maxInFlight = max(1, maxInFlight)
        sockets = UpstreamSockets(group: group)
    }

    deinit { sockets.close() }

    /// Questions failed because `maxInFlight` were waiting already.
    public var overloadedQuestions: Int { overloadCount.withLock { $0 } }

    /// Distinct questions waiting for the upstreams now.
    public var questionsInFlight: Int { waiting.withLock { $0.count } }

    /// Resolves `question` upstream (or from the cache). The future completes on `eventLoop`.
    public func resolve(
        _ question: Question, dnssecOK: Bool = false, on eventLoop: any EventLoop
    ) -> EventLoopFuture<DNSMessage> {
        if let cached = cache.lookup(question, dnssecOK: dnssecOK) {
            return eventLoop.makeSucceededFuture(cached)
        }
        let servers = self.servers(for: question.name)
        guard !servers.isEmpty else { return eventLoop.makeFailedFuture(ForwarderError.noUpstream) }
        enum Role { case leader(EventLoopPromise<DNSMessage>), follower(EventLoopFuture<DNSMessage>), refused }
        let key = ForwarderCache.key(question, dnssecOK: dnssecOK)
        let limit = maxInFlight
        let role = waiting.withLock { waiting -> Role in
            if let pending = waiting[key] { return .follower(pending) }
            guard waiting.count < limit else { return .refused }
            let promise = eventLoop.makePromise(of: DNSMessage.self)
            waiting[key] = promise.futureResult
            return .leader(promise)
        }
        switch role {
        case .follower(let pending):
            return pending.hop(to: eventLoop)
        case .refused:
            overloadCount.withLock { $0 += 1 }
            return eventLoop.makeFailedFuture(ForwarderError.overloaded(inFlight: limit))
        case .leader(let promise):
            let cache = self.cache
            attempt(question, dnssecOK: dnssecOK, servers: servers, index: 0, eventLoop: eventLoop, last: nil).map { reply in
                cache.store(reply, for: question, dnssecOK: dnssecOK)
                return reply
            }.cascade(to: promise)
            promise.futureResult.whenComplete { _ in _ = self.waiting.withLock { $0.removeValue(forKey: key) } }
            return promise.futureResult
        }
    }

    /// The servers for `name`: its most specific stub domain's, else the default upstreams.
    public func servers(for name: DNSName) -> [SocketAddress] {
        guard !stubDomains.isEmpty else { return servers }
        return stubDomains.first { name.isSubdomain(of: $0.zone) }?.servers ?? servers
    }

    /// Whether some upstream would take `name` (a stub domain's or the default servers).
    public func forwards(_ name: DNSName) -> Bool { !servers(for: name).isEmpty }

    private func attempt(
        _ question: Question, dnssecOK: Bool, servers: [SocketAddress], index: Int, eventLoop: any EventLoop, last: (any Error)?
    ) -> EventLoopFuture<DNSMessage> {
        guard index < servers.count else {
            return eventLoop.makeFailedFuture(ForwarderError.allFailed(
                question: "\(question.name) \(question.type)", last: last.map { "\($0)" } ?? "none"))
        }
        let server = servers[index]
        let timeout = self.timeout
        @Sendable func encode(_ id: UInt16) -> [UInt8] {
            DNSMessage.query(id: id, name: question.name, type: question.type, edns: EDNS(udpPayloadSize: 1232, dnssecOK: dnssecOK)).encoded()
        }
        return sockets.exchange(question, server: server, timeout: timeout, eventLoop: eventLoop, encode: encode)
            .flatMap { reply -> EventLoopFuture<DNSMessage> in
                guard reply.flags.truncated else { return eventLoop.makeSucceededFuture(reply) }
                let id = UInt16.random(in: 0...UInt16.max)
                return Self.tcpExchange(encode(id), id: id, question: question, server: server, timeout: timeout, eventLoop: eventLoop)
            }
            .flatMapError { error in
                self.attempt(question, dnssecOK: dnssecOK, servers: servers, index: index + 1, eventLoop: eventLoop, last: error)
            }
    }

    static func tcpExchange(
        _ query: [UInt8], id: UInt16, question: Question, server: SocketAddress, timeout: TimeAmount,
        eventLoop: any EventLoop
    ) -> EventLoopFuture<DNSMessage> {
        let exchange = UpstreamExchange(id: id, question: question, server: server, promise: eventLoop.makePromise())
        let channel = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(UpstreamTCPHandler(exchange))
                }
            }
            .connect(to: server)
        return exchange.run(on: channel, timeout: timeout) { channel in
            channel.writeAndFlush(channel.allocator.framed(query))
        }
    }
}

/// One query to one upstream server and the promise its reply completes: what the UDP and TCP
/// exchanges share. The transports differ only in how the query is written and the reply read.
struct UpstreamExchange: Sendable {
    let id: UInt16
    let question: Question
    let server: SocketAddress
    let promise: EventLoopPromise<DNSMessage>

    /// Checks that `bytes` are a reply to our query.
    func validate(_ bytes: ByteBuffer) throws -> DNSMessage {
        let reply = try bytes.withUnsafeReadableBytes { raw in try DNSMessage(decoding: raw) }
        guard reply.id == id, reply.flags.isResponse else {
            throw ForwarderError.badReply(server: "\(server)", reason: "ID or QR mismatch")
        }
        if let q = reply.questions.first, !(q.name.equalsIgnoringCase(question.name) && q.type == question.type) {
            throw ForwarderError.badReply(server: "\(server)", reason: "question mismatch")
        }
        return reply
    }

    /// Sends the query (with `send`) once `channel` is up; fails the exchange when that fails or after
    /// `timeout`; closes the channel when the exchange completes either way.
    func run(
        on channel: EventLoopFuture<any Channel>, timeout: TimeAmount,
        send: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<DNSMessage> {
        let promise = self.promise
        let server = self.server
        channel.whenSuccess { channel in
            send(channel).whenFailure { promise.fail($0) }
        }
        channel.whenFailure { promise.fail($0) }
        let timer = promise.futureResult.eventLoop.scheduleTask(in: timeout) {
            promise.fail(ForwarderError.timeout(server: "\(server)"))
        }
        promise.futureResult.whenComplete { _ in
            timer.cancel()
            channel.whenSuccess { $0.close(promise: nil) }
        }
        return promise.futureResult
    }
}

/// Reads the first framed reply of a TCP exchange.
private final class UpstreamTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let exchange: UpstreamExchange

    init(_ exchange: UpstreamExchange) {
        self.exchange = exchange
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            exchange.promise.succeed(try exchange.validate(Self.unwrapInboundIn(data)))
        } catch {
            exchange.promise.fail(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.promise.fail(ForwarderError.badReply(server: "\(exchange.server)", reason: "connection closed"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange.promise.fail(error)
    }
}
