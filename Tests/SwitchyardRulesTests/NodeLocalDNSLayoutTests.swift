import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules
import Testing

/// The node-local DNS rules (issue 16, item 3) on the fake: a query to the kube-dns ClusterIP is
/// delivered to the node, not DNATed, while a transparent socket holds that address and port, and goes
/// to the Service's endpoints otherwise; other ports and Services are untouched.
@Suite("Node-local DNS rules")
struct NodeLocalDNSLayoutTests {
    static let dnsPorts = [ServicePort(name: "dns", protocol: .udp, port: 53), ServicePort(name: "dns-tcp", protocol: .tcp, port: 53),
                           ServicePort(name: "metrics", protocol: .tcp, port: 9153)]

    func world(endpoints: [Endpoint] = [endpoint("10.244.5.5")]) -> World {
        var world = World()
        world.add(service("kube-dns", namespace: "kube-system", clusterIP: "10.96.0.10", ports: Self.dnsPorts), endpoints: endpoints)
        world.config.localDNS = ProxyConfig.LocalDNSDelivery(service: ObjectKey(namespace: "kube-system", name: "kube-dns"))
        return world
    }

    func environment(_ world: World, sockets: Swift.Set<BoundSocket>) -> TraceEnvironment {
        var environment = world.environment
        environment.transparentSockets = sockets
        environment.localDeliveryMark = ProxyConfig.LocalDNSDelivery.defaultMark
        return environment
    }

    func destinations(_ world: World, _ sockets: Swift.Set<BoundSocket>, port: UInt16, proto: L4Proto) throws -> [String] {
        var context = world.context
        context.localDNSAddresses = [ip("10.96.0.10")]
        let ruleset = Compiler.compile(world.plans, node: context, config: world.config)
        var fake = FakeNetfilter()
        try fake.apply(Differ.diff(from: Ruleset(), to: ruleset))
        let packet = Packet(from: World.remotePod, to: addr("10.96.0.10"), port: port, proto: proto)
        return fake.outcomes(of: packet, in: environment(world, sockets: sockets)).map { outcome in
            guard let delivery = outcome.delivery else { return "\(outcome)" }
            return "\(delivery)"
        }.sorted()
    }

    @Test("with the daemon's sockets: UDP and TCP 53 are delivered locally to the ClusterIP itself")
    func local() throws {
        let sockets: Swift.Set = [BoundSocket(addr("10.96.0.10"), port: 53, proto: .udp), BoundSocket(addr("10.96.0.10"), port: 53, proto: .tcp)]
        #expect(try destinations(world(), sockets, port: 53, proto: .udp) == ["10.96.0.10:53 local"])
        #expect(try destinations(world(), sockets, port: 53, proto: .tcp) == ["10.96.0.10:53 local"])
        // Another port of the same Service is proxied as usual.
        #expect(try destinations(world(), sockets, port: 9153, proto: .tcp) == ["10.244.5.5:17153"])
    }

    @Test("without them (daemon stopped): the query goes to the Service's endpoints")
    func fallback() throws {
        #expect(try destinations(world(), [], port: 53, proto: .udp) == ["10.244.5.5:8053"])
        // A socket for UDP only does not capture TCP.
        #expect(try destinations(world(), [BoundSocket(addr("10.96.0.10"), port: 53, proto: .udp)], port: 53, proto: .tcp) == ["10.244.5.5:8053"])
    }

    @Test("kube-dns without endpoints: answered locally, not rejected; without the daemon, rejected as before")
    func noEndpoints() throws {
        let sockets: Swift.Set = [BoundSocket(addr("10.96.0.10"), port: 53, proto: .udp)]
        #expect(try destinations(world(endpoints: []), sockets, port: 53, proto: .udp) == ["10.96.0.10:53 local"])
        #expect(try destinations(world(endpoints: []), [], port: 53, proto: .udp) != ["10.96.0.10:53 local"])
    }

    @Test("the rules are only there when node-local DNS is on")
    func offByDefault() {
        var world = world()
        world.config.localDNS = nil
        let text = Compiler.compile(world.plans, node: world.context, config: world.config).listing()
        #expect(!text.contains("local-dns"))
    }
}

/// `detectLocalMode: NodeCIDR` (issue 16, item 1): the pod sources are this node's podCIDRs.
@Suite("Local traffic detection")
struct LocalTrafficDetectionTests {
    @Test("NodeCIDR takes the Node's spec.podCIDRs as the pod sources; ClusterCIDR the configured ranges")
    func nodeCIDR() {
        var world = World()
        world.add(service("web", clusterIP: "10.96.0.10"), endpoints: [endpoint("10.244.5.5")])
        world.node.podCIDRs = [CIDR("10.244.7.0/24")!, CIDR("fd00:244:7::/64")!]
        #expect(world.config.localTrafficCIDRs(of: .ipv4, node: world.context).map(\.description) == ["10.244.0.0/16"])
        world.config.detectLocal = .nodeCIDR
        #expect(world.config.localTrafficCIDRs(of: .ipv4, node: world.context).map(\.description) == ["10.244.7.0/24"])
        #expect(world.config.localTrafficCIDRs(of: .ipv6, node: world.context).map(\.description) == ["fd00:244:7::/64"])
        let ruleset = Compiler.compile(world.plans, node: world.context, config: world.config)
        let elements = ruleset.set(TableRef(.ip, "switchyard"), Layout.clusterCIDRs)?.sortedElements.map { "\($0)" } ?? []
        #expect(elements.count == 1 && elements[0].contains("10.244.7.0/24"), "\(elements)")
    }
}
