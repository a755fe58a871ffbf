import NIOCore
import NIOPosix

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

    public var description: String {
        switch self {
        case .timeout(let s): "upstream \(s) timed out"
        case .badReply(let s, let r): "upstream \(s) sent a bad reply: \(r)"
        case .allFailed(let q, let last): "every upstream failed for \(q); last: \(last)"
        case .noUpstream: "no upstream configured"
        }
    }
}

/// Sends out-of-zone questions to upstream servers: UDP first, TCP when the reply is truncated;
/// on timeout or error the next server is tried. Replies are cached (see `ForwarderCache`).
public final class Forwarder: Sendable {
    public let servers: [SocketAddress]
    public let timeout: TimeAmount
    public let cache: ForwarderCache
    private let group: any EventLoopGroup

    public init(
        servers: [SocketAddress], group: any EventLoopGroup, timeout: TimeAmount = .seconds(2),
        cache: ForwarderCache = ForwarderCache()
    ) {
        self.servers = servers
        self.group = group
        self.timeout = timeout
        self.cache = cache
    }

    /// Resolves `question` upstream (or from the cache). The future completes on `eventLoop`.
    public func resolve(
        _ question: Question, dnssecOK: Bool = false, on eventLoop: any EventLoop
    ) -> EventLoopFuture<DNSMessage> {
        if let cached = cache.lookup(question, dnssecOK: dnssecOK) {
            return eventLoop.makeSucceededFuture(cached)
        }
        guard !servers.isEmpty else { return eventLoop.makeFailedFuture(ForwarderError.noUpstream) }
        let cache = self.cache
        return attempt(question, dnssecOK: dnssecOK, index: 0, eventLoop: eventLoop, last: nil).map { reply in
            cache.store(reply, for: question, dnssecOK: dnssecOK)
            return reply
        }
    }

    private func attempt(
        _ question: Question, dnssecOK: Bool, index: Int, eventLoop: any EventLoop, last: (any Error)?
    ) -> EventLoopFuture<DNSMessage> {
        guard index < servers.count else {
            return eventLoop.makeFailedFuture(ForwarderError.allFailed(
                question: "\(question.name) \(question.type)", last: last.map { "\($0)" } ?? "none"))
        }
        let server = servers[index]
        let id = UInt16.random(in: 0...UInt16.max)
        let query = DNSMessage.query(id: id, name: question.name, type: question.type,
                                     edns: EDNS(udpPayloadSize: 1232, dnssecOK: dnssecOK)).encoded()
        let timeout = self.timeout
        return Self.udpExchange(query, id: id, question: question, server: server, timeout: timeout, eventLoop: eventLoop)
            .flatMap { reply -> EventLoopFuture<DNSMessage> in
                guard reply.flags.truncated else { return eventLoop.makeSucceededFuture(reply) }
                return Self.tcpExchange(query, id: id, question: question, server: server, timeout: timeout, eventLoop: eventLoop)
            }
            .flatMapError { error in
                self.attempt(question, dnssecOK: dnssecOK, index: index + 1, eventLoop: eventLoop, last: error)
            }
    }

    /// Checks that `reply` answers our query.
    static func validate(_ bytes: ByteBuffer, id: UInt16, question: Question, server: SocketAddress) throws -> DNSMessage {
        let reply = try bytes.withUnsafeReadableBytes { raw in try DNSMessage(decoding: raw) }
        guard reply.id == id, reply.flags.isResponse else {
            throw ForwarderError.badReply(server: "\(server)", reason: "ID or QR mismatch")
        }
        if let q = reply.questions.first, !(q.name.equalsIgnoringCase(question.name) && q.type == question.type) {
            throw ForwarderError.badReply(server: "\(server)", reason: "question mismatch")
        }
        return reply
    }

    static func udpExchange(
        _ query: [UInt8], id: UInt16, question: Question, server: SocketAddress, timeout: TimeAmount,
        eventLoop: any EventLoop
    ) -> EventLoopFuture<DNSMessage> {
        let promise = eventLoop.makePromise(of: DNSMessage.self)
        let bindHost = server.protocol == .inet6 ? "::" : "0.0.0.0"
        let channelFuture = DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamUDPHandler(id: id, question: question, server: server, promise: promise))
                }
            }
            .bind(host: bindHost, port: 0)
        channelFuture.whenSuccess { channel in
            let buffer = channel.allocator.buffer(bytes: query)
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: buffer)).whenFailure { promise.fail($0) }
        }
        channelFuture.whenFailure { promise.fail($0) }
        let timer = eventLoop.scheduleTask(in: timeout) { promise.fail(ForwarderError.timeout(server: "\(server)")) }
        promise.futureResult.whenComplete { _ in
            timer.cancel()
            channelFuture.whenSuccess { $0.close(promise: nil) }
        }
        return promise.futureResult
    }

    static func tcpExchange(
        _ query: [UInt8], id: UInt16, question: Question, server: SocketAddress, timeout: TimeAmount,
        eventLoop: any EventLoop
    ) -> EventLoopFuture<DNSMessage> {
        let promise = eventLoop.makePromise(of: DNSMessage.self)
        let channelFuture = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamTCPHandler(id: id, question: question, server: server, promise: promise))
                }
            }
            .connect(to: server)
        channelFuture.whenSuccess { channel in
            channel.writeAndFlush(channel.allocator.framed(query)).whenFailure { promise.fail($0) }
        }
        channelFuture.whenFailure { promise.fail($0) }
        let timer = eventLoop.scheduleTask(in: timeout) { promise.fail(ForwarderError.timeout(server: "\(server)")) }
        promise.futureResult.whenComplete { _ in
            timer.cancel()
            channelFuture.whenSuccess { $0.close(promise: nil) }
        }
        return promise.futureResult
    }
}

/// Waits for the one datagram answering our query; anything else is ignored (spoofing guard).
private final class UpstreamUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let id: UInt16
    let question: Question
    let server: SocketAddress
    let promise: EventLoopPromise<DNSMessage>

    init(id: UInt16, question: Question, server: SocketAddress, promise: EventLoopPromise<DNSMessage>) {
        self.id = id
        self.question = question
        self.server = server
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard envelope.remoteAddress == server,
              let reply = try? Forwarder.validate(envelope.data, id: id, question: question, server: server)
        else { return }
        promise.succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
    }
}

/// Reads the first framed reply of a TCP exchange.
private final class UpstreamTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let id: UInt16
    let question: Question
    let server: SocketAddress
    let promise: EventLoopPromise<DNSMessage>

    init(id: UInt16, question: Question, server: SocketAddress, promise: EventLoopPromise<DNSMessage>) {
        self.id = id
        self.question = question
        self.server = server
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            promise.succeed(try Forwarder.validate(Self.unwrapInboundIn(data), id: id, question: question, server: server))
        } catch {
            promise.fail(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ForwarderError.badReply(server: "\(server)", reason: "connection closed"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
    }
}
