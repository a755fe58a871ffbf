import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import SwitchyardSystem

/// One HTTP answer.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: [(String, String)]
    public var body: String

    public init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Answers one request from its head (the small servers here ignore request bodies).
public typealias HTTPRequestResponder = @Sendable (HTTPRequestHead) -> HTTPResponse

/// What one client may hold of a server: the health and metrics servers listen on node addresses,
/// so idle or trickling connections must not pile up (issue 15: 300 idle connections to /healthz
/// exhausted the daemon's file descriptors).
public struct HTTPServerLimits: Sendable, Hashable {
    /// A request head must be complete this long after the connection opens.
    public var headerTimeout: TimeAmount
    /// A kept-alive connection must bring its next request head within this long.
    public var idleTimeout: TimeAmount
    /// Connections beyond this many at once are closed when accepted.
    public var maxConnections: Int

    public init(headerTimeout: TimeAmount = .seconds(10), idleTimeout: TimeAmount = .seconds(30), maxConnections: Int = 128) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}

/// A small HTTP/1.1 server on SwiftNIO: bound when created (so a busy port fails at start-up with
/// a clear error), closed by ``close()``.
public final class HTTPServer: Sendable {
    private let channel: any Channel
    /// The bound address.
    public let address: SocketAddress

    private init(channel: any Channel) throws {
        self.channel = channel
        guard let address = channel.localAddress else { throw HTTPServerError.notBound }
        self.address = address
    }

    /// The bound port (useful after asking for port 0).
    public var port: Int { address.port ?? 0 }

    /// Binds `host:port` in the daemon's own network namespace.
    public static func bind(
        host: String, port: Int, responder: @escaping HTTPRequestResponder, limits: HTTPServerLimits = HTTPServerLimits(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPServer {
        let channel = try await bootstrap(group: group, responder: responder, limits: limits).bind(host: host, port: port).get()
        return try HTTPServer(channel: channel)
    }

    /// Serves on an already bound and listening socket (e.g. one made inside another namespace).
    public static func adopt(
        socket: NIOBSDSocket.Handle, responder: @escaping HTTPRequestResponder, limits: HTTPServerLimits = HTTPServerLimits(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPServer {
        let channel = try await bootstrap(group: group, responder: responder, limits: limits).withBoundSocket(socket).get()
        return try HTTPServer(channel: channel)
    }

    private static func bootstrap(group: any EventLoopGroup, responder: @escaping HTTPRequestResponder, limits: HTTPServerLimits) -> ServerBootstrap {
        let open = ConnectionLimit(limit: limits.maxConnections)
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // A DaemonSet surge pod (hostNetwork) binds the same ports while the old one still runs.
            .serverChannelOption(ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            // Out of descriptors (EMFILE), accepting again at once spins a core: pause a second.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler()) }
            }
            .childChannelInitializer { channel in
                guard open.admit() else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.release() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPResponderHandler(responder: responder, limits: limits))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    }

    /// Stops accepting connections.
    public func close() async {
        try? await channel.close()
    }
}

/// Why a server could not start.
public enum HTTPServerError: Error, CustomStringConvertible {
    case notBound

    public var description: String { "the HTTP server's socket has no local address" }
}

/// Collects a request's head, and on its end writes the responder's answer. Closes the connection
/// when a request head does not arrive in time: ``HTTPServerLimits/headerTimeout`` after it opens,
/// ``HTTPServerLimits/idleTimeout`` after each answer (so neither an idle nor a trickling client
/// holds it).
final class HTTPResponderHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: HTTPRequestResponder
    private let limits: HTTPServerLimits
    private var head: HTTPRequestHead?
    private var deadline: Scheduled<Void>?

    init(responder: @escaping HTTPRequestResponder, limits: HTTPServerLimits) {
        self.responder = responder
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        closeUnlessHeadArrives(within: limits.headerTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func closeUnlessHeadArrives(within timeout: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            deadline?.cancel()
            deadline = nil
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let response = responder(head)
            var headers = HTTPHeaders(response.headers)
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.utf8.count))
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
            if head.method != .HEAD {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))), promise: nil)
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
            if keepAlive {
                closeUnlessHeadArrives(within: limits.idleTimeout, context: context)
            } else {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
            }
        }
    }
}

/// Keeps bound servers open until graceful shutdown, then closes them.
public struct HTTPServersService: ServiceLifecycle.Service {
    public var servers: [HTTPServer]

    public init(servers: [HTTPServer]) {
        self.servers = servers
    }

    public func run() async throws {
        try? await gracefulShutdown()
        for server in servers { await server.close() }
    }
}
