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
    public typealias Frontend = ServiceFrontend

    private struct Listener {
        var channel: any Channel
        var route: UserspaceRoute
        /// The Service whose frontend it is.
        var service: ObjectKey
    }

    private let listeners = Mutex<[Frontend: Listener]>([:])
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Addresses whose NodePorts are served beside the node's NodePort addresses (`--userspace-listen`,
    /// `--nodeport-localhost`).
    public let nodePortAddresses: [IPAddress]

    /// Listeners set IP_TRANSPARENT (needs CAP_NET_ADMIN): a socket bound to an address that is no
    /// interface address may then answer from it when the steering table delivers traffic to it (a
    /// FREEBIND socket can bind it, but the kernel routes no reply from a foreign source address).
    public let transparent: Bool

    public init(nodePortAddresses: [IPAddress], transparent: Bool = false,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.nodePortAddresses = nodePortAddresses
        self.transparent = transparent
        self.group = group
        self.logger = logger
    }

    /// The frontends of `plans` with the endpoints each relays to: the internal endpoint set for the
    /// ClusterIP, the external one (traffic policy, terminating fallback: the plan's) for external IPs,
    /// load-balancer IPs and NodePorts (at `nodeAddresses`, the node's NodePort addresses, and at
    /// ``nodePortAddresses``; with `addresses` false, NodePorts only). A frontend without endpoints
    /// gets no listener, so a client is refused at once, as the kernel modes reject.
    public func frontends(of plans: some Sequence<ServicePortPlan>, nodeAddresses: [IPAddress] = [], addresses: Bool = true)
        -> [Frontend: Target] {
        var result: [Frontend: Target] = [:]
        let nodePortAddresses = nodeAddresses + self.nodePortAddresses
        for plan in plans where plan.protocol == .tcp || plan.protocol == .udp {
            func add(_ address: IPAddress, _ port: Int, _ set: EndpointSet) {
                guard !set.endpoints.isEmpty else { return }
                result[Frontend(address: address, port: port, proto: plan.protocol)] =
                    Target(service: plan.name.service, endpoints: set.endpoints, affinityTimeout: plan.sessionAffinityTimeout)
            }
            if addresses {
                add(plan.clusterIP, plan.port, plan.internal)
                for address in plan.externalIPs + plan.loadBalancerIPs { add(address, plan.port, plan.external) }
            }
            guard plan.nodePort != 0 else { continue }
            for address in nodePortAddresses where address.family == plan.family { add(address, plan.nodePort, plan.external) }
        }
        return result
    }

    /// What one frontend relays to.
    public struct Target: Sendable, Hashable {
        /// The Service whose frontend it is.
        public var service: ObjectKey
        public var endpoints: [EndpointAddress]
        /// ClientIP session affinity, seconds.
        public var affinityTimeout: Int?
    }

    /// Serves exactly `wanted` (with `services`, only those Services' frontends are replaced by it and
    /// the others' stay): new listeners bound, gone ones closed, the others' endpoints replaced
    /// (their open connections and flows stay). Returns how many listeners changed; a frontend that
    /// cannot be bound is logged and skipped.
    @discardableResult
    public func update(_ wanted: [Frontend: Target], replacing services: Set<ObjectKey>? = nil) async -> Int {
        let (gone, kept) = listeners.withLock { listeners -> ([Listener], [Frontend]) in
            let gone = listeners.filter { frontend, listener in
                wanted[frontend] == nil && services.map { $0.contains(listener.service) } != false
            }.keys
            return (gone.compactMap { listeners.removeValue(forKey: $0) }, Array(listeners.keys))
        }
        for listener in gone { try? await listener.channel.close() }
        let keptSet = Set(kept)
        for (frontend, target) in wanted where keptSet.contains(frontend) {
            listeners.withLock { listeners in
                listeners[frontend]?.route.replace(with: target.endpoints)
                listeners[frontend]?.route.setAffinity(target.affinityTimeout)
                listeners[frontend]?.service = target.service
            }
        }
        var changed = gone.count
        for (frontend, target) in wanted.sorted(by: { $0.key < $1.key }) where !keptSet.contains(frontend) {
            let route = UserspaceRoute(target.endpoints, affinityTimeout: target.affinityTimeout)
            do {
                let channel = try await bind(frontend, route: route)
                listeners.withLock { $0[frontend] = Listener(channel: channel, route: route, service: target.service) }
                changed += 1
            } catch {
                logger.warning("userspace proxy cannot listen", metadata: ["frontend": "\(frontend)", "error": "\(error)"])
            }
        }
        return changed
    }

    /// Closes every listener.
    public func stop() async { _ = await update([:]) }

    /// IP_TRANSPARENT / IPV6_TRANSPARENT: answer from that address though it is no interface address.
    private static func transparent(_ address: IPAddress) -> ChannelOptions.Types.SocketOption {
        address.family == .ipv4
            ? ChannelOptions.Types.SocketOption(level: .init(rawValue: Int32(IPPROTO_IP)), name: .init(rawValue: 19))
            : ChannelOptions.Types.SocketOption(level: .init(rawValue: Int32(IPPROTO_IPV6)), name: .init(rawValue: 75))
    }

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
                .channelOption(Self.transparent(frontend.address), value: transparent ? 1 : 0)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPRelay(route: route)) }
                }
                .bind(to: address).get()
        default:
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(Self.freebind(frontend.address), value: 1)
                .serverChannelOption(Self.transparent(frontend.address), value: transparent ? 1 : 0)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelOption(.autoRead, value: false)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TCPRelay(route: route)) }
                }
                .bind(to: address).get()
        }
    }
}
