import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

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
        host: String, port: Int, responder: @escaping HTTPRequestResponder,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPServer {
        let channel = try await bootstrap(group: group, responder: responder).bind(host: host, port: port).get()
        return try HTTPServer(channel: channel)
    }

    /// Serves on an already bound and listening socket (e.g. one made inside another namespace).
    public static func adopt(
        socket: NIOBSDSocket.Handle, responder: @escaping HTTPRequestResponder,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPServer {
        let channel = try await bootstrap(group: group, responder: responder).withBoundSocket(socket).get()
        return try HTTPServer(channel: channel)
    }

    private static func bootstrap(group: any EventLoopGroup, responder: @escaping HTTPRequestResponder) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPResponderHandler(responder: responder))
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

/// Collects a request's head, and on its end writes the responder's answer.
final class HTTPResponderHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: HTTPRequestResponder
    private var head: HTTPRequestHead?

    init(responder: @escaping HTTPRequestResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
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
            if !keepAlive {
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
