import Logging
import NIOCore
import NIOPosix
import SwitchyardLB
import SwitchyardModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// kube-proxy's userspace mode in SwiftNIO: a TCP or UDP listener per Service frontend, relaying to
/// the Service's endpoints (``TCPRelay``, ``UDPRelay``). Listens on each ClusterIP (bound with
/// IP_FREEBIND, so it serves wherever that address is delivered locally: on a node whose ClusterIPs
/// are local, or in a namespace that routes them to itself) and on the NodePorts of the
/// `--userspace-listen` addresses (127.0.0.1: localhost NodePorts, off by default, CVE-2020-8558).
public final class UserspaceProxy: Sendable {
    /// Where one listener listens.
    public struct Frontend: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var address: IPAddress
        public var port: Int
        public var proto: TransportProtocol

        public var description: String { "\(proto.rawValue.lowercased()) \(address.family == .ipv6 ? "[\(address)]" : "\(address)"):\(port)" }

        public static func < (lhs: Frontend, rhs: Frontend) -> Bool { lhs.description < rhs.description }
    }

    private struct Listener {
        var channel: any Channel
        var route: UserspaceRoute
    }

    private let listeners = Mutex<[Frontend: Listener]>([:])
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Extra addresses whose NodePorts are served.
    public let nodePortAddresses: [IPAddress]

    public init(nodePortAddresses: [IPAddress], group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.nodePortAddresses = nodePortAddresses
        self.group = group
        self.logger = logger
    }

    /// The frontends of `plans` with the endpoints each relays to: the internal endpoint set for the
    /// ClusterIP, the external one (traffic policy, terminating fallback: the plan's) for external IPs,
    /// load-balancer IPs and NodePorts. A frontend without endpoints gets no listener, so a client is
    /// refused at once, as the kernel modes reject.
    public func frontends(of plans: some Sequence<ServicePortPlan>) -> [Frontend: Target] {
        var result: [Frontend: Target] = [:]
        for plan in plans where plan.protocol == .tcp || plan.protocol == .udp {
            func add(_ address: IPAddress, _ port: Int, _ set: EndpointSet) {
                guard !set.endpoints.isEmpty else { return }
                result[Frontend(address: address, port: port, proto: plan.protocol)] =
                    Target(endpoints: set.endpoints, affinityTimeout: plan.sessionAffinityTimeout)
            }
            add(plan.clusterIP, plan.port, plan.internal)
            for address in plan.externalIPs + plan.loadBalancerIPs { add(address, plan.port, plan.external) }
            guard plan.nodePort != 0 else { continue }
            for address in nodePortAddresses where address.family == plan.family { add(address, plan.nodePort, plan.external) }
        }
        return result
    }

    /// What one frontend relays to.
    public struct Target: Sendable, Hashable {
        public var endpoints: [EndpointAddress]
        /// ClientIP session affinity, seconds.
        public var affinityTimeout: Int?
    }

    /// Serves exactly `wanted`: new listeners bound, gone ones closed, the others' endpoints replaced
    /// (their open connections and flows stay). Returns how many listeners changed; a frontend that
    /// cannot be bound is logged and skipped.
    @discardableResult
    public func update(_ wanted: [Frontend: Target]) async -> Int {
        let (gone, kept) = listeners.withLock { listeners -> ([Listener], [Frontend]) in
            let gone = listeners.keys.filter { wanted[$0] == nil }
            return (gone.compactMap { listeners.removeValue(forKey: $0) }, Array(listeners.keys))
        }
        for listener in gone { try? await listener.channel.close() }
        for frontend in kept {
            guard let target = wanted[frontend] else { continue }
            listeners.withLock { listeners in
                listeners[frontend]?.route.replace(with: target.endpoints)
                listeners[frontend]?.route.setAffinity(target.affinityTimeout)
            }
        }
        var changed = gone.count
        for (frontend, target) in wanted.sorted(by: { $0.key < $1.key }) where !kept.contains(frontend) {
            let route = UserspaceRoute(target.endpoints, affinityTimeout: target.affinityTimeout)
            do {
                let channel = try await bind(frontend, route: route)
                listeners.withLock { $0[frontend] = Listener(channel: channel, route: route) }
                changed += 1
            } catch {
                logger.warning("userspace proxy cannot listen", metadata: ["frontend": "\(frontend)", "error": "\(error)"])
            }
        }
        return changed
    }

    /// Closes every listener.
    public func stop() async { _ = await update([:]) }

    /// IP_FREEBIND / IPV6_FREEBIND: bind a ClusterIP that is not (yet) an interface address.
    private static func freebind(_ address: IPAddress) -> ChannelOptions.Types.SocketOption {
        address.family == .ipv4
            ? ChannelOptions.Types.SocketOption(level: .init(rawValue: Int32(IPPROTO_IP)), name: .init(rawValue: 15))
            : ChannelOptions.Types.SocketOption(level: .init(rawValue: Int32(IPPROTO_IPV6)), name: .init(rawValue: 78))
    }

    private func bind(_ frontend: Frontend, route: UserspaceRoute) async throws -> any Channel {
        let address = try SocketAddress(ipAddress: "\(frontend.address)", port: frontend.port)
        switch frontend.proto {
        case .udp:
            return try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(Self.freebind(frontend.address), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPRelay(route: route)) }
                }
                .bind(to: address).get()
        default:
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(Self.freebind(frontend.address), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelOption(.autoRead, value: false)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TCPRelay(route: route)) }
                }
                .bind(to: address).get()
        }
    }
}
