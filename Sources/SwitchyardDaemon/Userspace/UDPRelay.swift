import NIOCore
import NIOPosix

/// A userspace UDP listener: each client address gets a flow, a socket connected to one endpoint,
/// that carries its datagrams both ways and is closed after ``idleTimeout`` without traffic (as
/// conntrack's UDP timeout), so a client keeps its endpoint while it talks. Datagrams that arrive
/// before the flow's socket is ready wait, at most ``maxPending`` per flow (then dropped, as a full
/// socket buffer would).
final class UDPRelay: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    static let idleTimeout = TimeAmount.seconds(30)
    static let maxPending = 64
    /// At most this many flows per listener; more clients are dropped until some go idle.
    static let maxFlows = 10_000

    private final class Flow {
        var channel: (any Channel)?
        var pending: [ByteBuffer] = []
        var lastActive = NIODeadline.now()
    }

    private let route: UserspaceRoute
    private var flows: [SocketAddress: Flow] = [:]
    private var sweep: RepeatedTask?

    init(route: UserspaceRoute) {
        self.route = route
    }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        sweep = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(5), delay: .seconds(5)) { _ in
            bound.value.closeIdleFlows()
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sweep?.cancel()
        for flow in flows.values { flow.channel?.close(promise: nil) }
        flows = [:]
        context.fireChannelInactive()
    }

    private func closeIdleFlows() {
        let now = NIODeadline.now()
        for (client, flow) in flows where now - flow.lastActive > Self.idleTimeout {
            flow.channel?.close(promise: nil)
            flows[client] = nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let client = envelope.remoteAddress
        if let flow = flows[client] {
            flow.lastActive = .now()
            if let channel = flow.channel {
                channel.writeAndFlush(envelope.data, promise: nil)
            } else if flow.pending.count < Self.maxPending {
                flow.pending.append(envelope.data)
            }
            return
        }
        guard flows.count < Self.maxFlows, let endpoint = route.candidates(for: client).first else { return }
        route.connected(client, to: endpoint)
        let flow = Flow()
        flow.pending = [envelope.data]
        flows[client] = flow
        let listener = context.channel
        let bound = NIOLoopBound((self, flow), eventLoop: context.eventLoop)
        DatagramBootstrap(group: context.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPReturn(listener: listener, client: client))
                }
            }
            .connect(to: endpoint)
            .whenComplete { result in
                let (relay, flow) = bound.value
                switch result {
                case .success(let channel):
                    flow.channel = channel
                    for datagram in flow.pending { channel.write(datagram, promise: nil) }
                    flow.pending = []
                    channel.flush()
                case .failure:
                    relay.flows[client] = nil
                }
            }
    }
}

/// The endpoint's replies of one UDP flow, sent back to the client from the listener's address.
final class UDPReturn: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let listener: any Channel
    private let client: SocketAddress

    init(listener: any Channel, client: SocketAddress) {
        self.listener = listener
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = Self.unwrapInboundIn(data)
        listener.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: reply.data), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP unreachable from the endpoint: the flow stays until idle; nothing to tell the client.
    }
}
