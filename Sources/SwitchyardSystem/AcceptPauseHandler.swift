import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Stops a listening channel from accepting for a while when the process is out of descriptors or
/// memory (EMFILE, ENFILE, ENOBUFS, ENOMEM). NIO's own `AcceptBackoffHandler` cannot do it with the
/// classic `ServerBootstrap`: a failed `accept` leaves the channel's read pending, so the readable
/// listening socket is polled again at once and the loop spins a core (seen: 40,000 failed accepts a
/// second with 150 connections held). Turning `autoRead` off unregisters the socket; it is turned
/// back on after `pause`, and accepting resumes if descriptors were freed meanwhile.
public final class AcceptPauseHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = Any

    private let pause: TimeAmount
    private var resumption: Scheduled<Void>?

    public init(pause: TimeAmount = .seconds(1)) {
        self.pause = pause
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError, Self.isExhaustion(ioError), resumption == nil else {
            context.fireErrorCaught(error)
            return
        }
        let channel = context.channel
        channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        // The task runs on this handler's event loop, so the handler may be touched there.
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        resumption = context.eventLoop.scheduleTask(in: pause) {
            handler.value.resumption = nil
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        resumption?.cancel()
        resumption = nil
        context.fireChannelInactive()
    }

    static func isExhaustion(_ error: IOError) -> Bool {
        [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }
}
