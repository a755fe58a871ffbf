import NIOCore
import NIOPosix

/// One accepted client connection of a userspace listener: reading waits until an endpoint accepts;
/// an endpoint that refuses or does not answer within ``connectTimeout`` is skipped for the next, so
/// the client never sees a failed connect while any endpoint is up. Then the two are glued.
final class TCPRelay: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    static let connectTimeout = TimeAmount.seconds(1)

    private let route: UserspaceRoute

    init(route: UserspaceRoute) {
        self.route = route
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        connect(context: context, candidates: route.candidates(for: context.channel.remoteAddress)[...])
    }

    private func connect(context: ChannelHandlerContext, candidates: ArraySlice<SocketAddress>) {
        guard let endpoint = candidates.first else {
            context.close(promise: nil)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(Self.connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .connect(to: endpoint)
            .whenComplete { result in
                let (relay, context) = bound.value
                switch result {
                case .success(let backend):
                    relay.route.connected(context.channel.remoteAddress, to: endpoint)
                    relay.glue(context: context, to: backend)
                case .failure:
                    relay.connect(context: context, candidates: candidates.dropFirst())
                }
            }
    }

    /// Joins the client's channel and the endpoint's (both on this event loop) and starts reading.
    private func glue(context: ChannelHandlerContext, to backend: any Channel) {
        let (front, back) = GlueHandler.matchedPair()
        do {
            try context.pipeline.syncOperations.addHandler(front)
            try backend.pipeline.syncOperations.addHandler(back)
        } catch {
            context.close(promise: nil)
            backend.close(promise: nil)
            return
        }
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
        backend.setOption(.autoRead, value: true).whenComplete { _ in }
        context.read()
        backend.read()
    }
}
