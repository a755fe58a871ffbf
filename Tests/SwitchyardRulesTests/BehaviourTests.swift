import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules

/// One test per semantic of issue 3, each tracing packets through the compiled ruleset in the fake.
@Suite("Service semantics, traced through the fake")
struct BehaviourTests {
    let outsider = addr("198.18.0.1")

    @Test("ClusterIP reaches one of its endpoints, under every dispatch model", arguments: DispatchModel.allCases)
    func clusterIP(dispatch: DispatchModel) throws {
        var world = World()
        world.config.dispatch = dispatch
        world.add(service("web"), endpoints: [endpoint("10.244.1.1"), endpoint("10.244.2.2"), endpoint("10.244.3.3")])
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80)
            == ["10.244.1.1:8080", "10.244.2.2:8080", "10.244.3.3:8080"])
        let outcomes = try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 80)
        #expect(outcomes.allSatisfy { $0.delivery?.masqueraded == false })
    }

    @Test("NodePort answers on the node's address only, and masquerades (externalTrafficPolicy Cluster)")
    func nodePort() throws {
        var world = World()
        world.add(service("shop", ports: [ServicePort(name: "http", port: 80, nodePort: 30080)], type: .nodePort),
                  endpoints: [endpoint("10.244.1.1"), endpoint("10.244.2.2")])
        let outcomes = try world.outcomes(from: World.remoteClient, to: World.nodeIPv4, port: 30080)
        #expect(Swift.Set(outcomes.compactMap(\.delivery?.address)) == [addr("10.244.1.1"), addr("10.244.2.2")])
        #expect(outcomes.allSatisfy { $0.delivery?.masqueraded == true })
        // Not on loopback (never 127.0.0.0/8 unless asked).
        #expect(try world.outcomes(from: addr("127.0.0.1"), to: "127.0.0.1", port: 30080, origin: .localProcess)
            == [.accepted(Delivery(address: addr("127.0.0.1"), port: 30080, masqueraded: false, local: true))])
        // From the node itself, to its own address.
        #expect(try world.destinations(from: addr(World.nodeIPv4), to: World.nodeIPv4, port: 30080, origin: .localProcess)
            == ["10.244.1.1:8080", "10.244.2.2:8080"])
    }

    @Test("externalIPs are frontends, masqueraded with policy Cluster")
    func externalIPs() throws {
        var world = World()
        world.add(service("ext", externalIPs: ["198.51.100.1"]), endpoints: [endpoint("10.244.1.1")])
        #expect(try world.outcomes(from: World.remoteClient, to: "198.51.100.1", port: 80)
            == [.accepted(Delivery(address: addr("10.244.1.1"), port: 8080, masqueraded: true, local: false))])
        #expect(try world.destinations(from: World.remoteClient, to: "198.51.100.1", port: 81).isEmpty == false)  // other ports untouched
    }

    @Test("LoadBalancer ingress IPs are frontends; ipMode Proxy ones are skipped")
    func loadBalancer() throws {
        var world = World()
        world.add(service("gw", type: .loadBalancer, loadBalancer: [LoadBalancerIngress(ip: ip("198.51.100.2")),
                                                                    LoadBalancerIngress(ip: ip("198.51.100.3"), ipMode: .proxy)]),
                  endpoints: [endpoint("10.244.1.1")])
        #expect(try world.destinations(from: World.remoteClient, to: "198.51.100.2", port: 80) == ["10.244.1.1:8080"])
        #expect(try world.destinations(from: World.remoteClient, to: "198.51.100.3", port: 80) == ["198.51.100.3:80"])
    }

    @Test("services of another proxy and headless services are not programmed")
    func notProxied() throws {
        var world = World()
        world.add(service("other", labels: [WellKnownLabel.serviceProxyName: "someone-else"]), endpoints: [endpoint("10.244.1.1")])
        world.add(service("db", clusterIP: "10.96.0.20", isHeadless: true), endpoints: [endpoint("10.244.1.2")])
        #expect(world.plans.isEmpty)
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80) == ["10.96.0.10:80"])
    }

    @Test("topology: zone hints keep traffic in this node's zone when every endpoint has one")
    func topology() throws {
        var world = World()
        world.add(service("near", trafficDistribution: .preferClose), endpoints: [
            endpoint("10.244.1.1", zone: "zone-a", hints: EndpointHints(forZones: ["zone-a"])),
            endpoint("10.244.2.2", zone: "zone-b", hints: EndpointHints(forZones: ["zone-b"])),
        ])
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80) == ["10.244.1.1:8080"])
    }

    @Test("terminating fallback: with nothing ready, serving terminating endpoints are used")
    func terminatingFallback() throws {
        var world = World()
        world.add(service("draining"), endpoints: [
            endpoint("10.244.1.1", ready: false, serving: true, terminating: true),
            endpoint("10.244.2.2", ready: false, serving: false, terminating: true),
        ])
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80) == ["10.244.1.1:8080"])
    }

    @Test("internalTrafficPolicy Local: local endpoints only; none local → drop")
    func internalLocal() throws {
        var world = World()
        world.add(service("local", itp: .local), endpoints: [endpoint("10.244.1.1", node: World.nodeName), endpoint("10.244.2.2")])
        world.add(service("elsewhere", clusterIP: "10.96.0.11", itp: .local), endpoints: [endpoint("10.244.2.3")])
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80) == ["10.244.1.1:8080"])
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.11", port: 80) == [.dropped])
    }

    @Test("externalTrafficPolicy Local: local endpoints, source kept; pods and the node short-circuit to the cluster set")
    func externalLocal() throws {
        var world = World()
        world.add(service("edge", ports: [ServicePort(name: "http", port: 80, nodePort: 30080)], type: .loadBalancer,
                          loadBalancer: [LoadBalancerIngress(ip: ip("198.51.100.2"))], etp: .local),
                  endpoints: [endpoint("10.244.1.1", node: World.nodeName), endpoint("10.244.2.2")])
        for target in [("198.51.100.2", UInt16(80)), (World.nodeIPv4, UInt16(30080))] {
            #expect(try world.outcomes(from: World.remoteClient, to: target.0, port: target.1)
                == [.accepted(Delivery(address: addr("10.244.1.1"), port: 8080, masqueraded: false, local: false))], "\(target)")
            let fromPod = try world.outcomes(from: World.remotePod, to: target.0, port: target.1)
            #expect(Swift.Set(fromPod.compactMap(\.delivery?.address)) == [addr("10.244.1.1"), addr("10.244.2.2")], "\(target)")
            #expect(fromPod.allSatisfy { $0.delivery?.masqueraded == false })
            let fromNode = try world.outcomes(from: addr(World.nodeIPv4), to: target.0, port: target.1, origin: .localProcess)
            #expect(Swift.Set(fromNode.compactMap(\.delivery?.address)) == [addr("10.244.1.1"), addr("10.244.2.2")], "\(target)")
            #expect(fromNode.allSatisfy { $0.delivery?.masqueraded == true })
        }
    }

    @Test("externalTrafficPolicy Local with no local endpoint drops external traffic, pods still get through")
    func externalLocalNoneHere() throws {
        var world = World()
        world.add(service("edge", ports: [ServicePort(name: "http", port: 80, nodePort: 30080)], type: .nodePort, etp: .local),
                  endpoints: [endpoint("10.244.2.2")])
        #expect(try world.outcomes(from: World.remoteClient, to: World.nodeIPv4, port: 30080) == [.dropped])
        #expect(try world.destinations(from: World.remotePod, to: World.nodeIPv4, port: 30080) == ["10.244.2.2:8080"])
    }

    @Test("no endpoints anywhere: rejected (TCP reset, ICMP for UDP) on every frontend")
    func reject() throws {
        var world = World()
        world.add(service("nothing", ports: [ServicePort(name: "http", port: 80, nodePort: 30080),
                                             ServicePort(name: "dns", protocol: .udp, port: 53, nodePort: 30053)],
                          type: .nodePort, externalIPs: ["198.51.100.1"]), endpoints: [])
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 80) == [.rejected(.tcpReset)])
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 53, proto: .udp) == [.rejected(.portUnreachable)])
        #expect(try world.outcomes(from: World.remoteClient, to: World.nodeIPv4, port: 30080) == [.rejected(.tcpReset)])
        #expect(try world.outcomes(from: World.remoteClient, to: "198.51.100.1", port: 80) == [.rejected(.tcpReset)])
        #expect(try world.outcomes(from: addr(World.nodeIPv4), to: "10.96.0.10", port: 80, origin: .localProcess) == [.rejected(.tcpReset)])
    }

    @Test("a ClusterIP port the service does not serve is rejected")
    func unservedPort() throws {
        var world = World()
        world.add(service("web"), endpoints: [endpoint("10.244.1.1")])
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 81) == [.rejected(.tcpReset)])
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 80, proto: .udp) == [.rejected(.portUnreachable)])
    }

    @Test("with --service-cidr, an address inside that no Service holds is dropped; held ones behave as before (issue 15, item 7)")
    func unallocatedClusterIP() throws {
        var world = World()
        world.add(service("web"), endpoints: [endpoint("10.244.1.1")])
        // Without the range, traffic to an unallocated address is not the proxy's business.
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.99", port: 80).allSatisfy { $0.delivery != nil })
        world.config.serviceCIDRs = [CIDR("10.96.0.0/16")!]
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.99", port: 80) == [.dropped])
        #expect(try world.outcomes(from: addr(World.nodeIPv4), to: "10.96.0.99", port: 80, origin: .localProcess) == [.dropped])
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80) == ["10.244.1.1:8080"])
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 81) == [.rejected(.tcpReset)], "unserved port: rejected, as before")
        #expect(try world.outcomes(from: World.remotePod, to: "10.97.0.1", port: 80).allSatisfy { $0.delivery != nil }, "outside the range")
    }

    @Test("masquerade: hairpin, off-cluster clients, external traffic with policy Cluster — not pods")
    func masquerade() throws {
        var world = World()
        world.add(service("web", externalIPs: ["198.51.100.1"]),
                  endpoints: [endpoint("10.244.1.1", node: World.nodeName), endpoint("10.244.2.2")])
        // Hairpin: the local endpoint reaching itself through its service is masqueraded, reaching the other is not.
        let hairpin = try world.outcomes(from: addr("10.244.1.1"), to: "10.96.0.10", port: 80)
        #expect(hairpin == [.accepted(Delivery(address: addr("10.244.1.1"), port: 8080, masqueraded: true, local: false)),
                            .accepted(Delivery(address: addr("10.244.2.2"), port: 8080, masqueraded: false, local: false))])
        // Pods of other nodes are DNATed by their own node's proxy, so only this node's pods are hairpin pairs.
        let pairs = world.ruleset.set(TableRef(.ip, "switchyard"), "hairpin")?.elements.keys.map { $0.map(\.description) }
        #expect(pairs == [["10.244.1.1", "10.244.1.1"]])
        #expect(try world.outcomes(from: outsider, to: "10.96.0.10", port: 80).allSatisfy { $0.delivery?.masqueraded == true })
        #expect(try world.outcomes(from: World.remotePod, to: "198.51.100.1", port: 80).allSatisfy { $0.delivery?.masqueraded == true })
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 80).allSatisfy { $0.delivery?.masqueraded == false })
        // masquerade-all masquerades pods too.
        world.config.masqueradeAll = true
        #expect(try world.outcomes(from: World.remotePod, to: "10.96.0.10", port: 80).allSatisfy { $0.delivery?.masqueraded == true })
    }

    @Test("session affinity ClientIP: a client sticks to one endpoint until the timeout")
    func affinity() throws {
        var world = World()
        world.add(service("cart", affinity: .clientIP(timeoutSeconds: 600)),
                  endpoints: [endpoint("10.244.1.1"), endpoint("10.244.2.2"), endpoint("10.244.3.3")])
        var fake = try world.fake()
        var environment = world.environment
        let first = fake.trace(Packet(from: World.remotePod, sourcePort: 1000, to: addr("10.96.0.10"), port: 80), in: environment)
        let chosen = try #require(first.outcome.delivery?.address)
        for port in 1001..<1030 {
            environment.now = Double(port - 1000) * 10
            let next = fake.trace(Packet(from: World.remotePod, sourcePort: UInt16(port), to: addr("10.96.0.10"), port: 80), in: environment)
            #expect(next.outcome.delivery?.address == chosen)
        }
        // Every possible outcome now is the remembered endpoint…
        #expect(fake.outcomes(of: Packet(from: World.remotePod, to: addr("10.96.0.10"), port: 80), in: environment).compactMap(\.delivery?.address) == [chosen])
        // …another client is free…
        #expect(fake.outcomes(of: Packet(from: addr("10.244.7.7"), to: addr("10.96.0.10"), port: 80), in: environment).count == 3)
        // …and after the timeout of inactivity, so is this one.
        environment.now += 601
        #expect(fake.outcomes(of: Packet(from: World.remotePod, to: addr("10.96.0.10"), port: 80), in: environment).count == 3)
    }

    @Test("loadBalancerSourceRanges: other sources are dropped at the LB IP")
    func sourceRanges() throws {
        var world = World()
        world.add(service("gw", type: .loadBalancer, loadBalancer: [LoadBalancerIngress(ip: ip("198.51.100.2"))], sourceRanges: ["203.0.113.0/24"]),
                  endpoints: [endpoint("10.244.1.1")])
        #expect(try world.destinations(from: World.remoteClient, to: "198.51.100.2", port: 80) == ["10.244.1.1:8080"])
        #expect(try world.outcomes(from: outsider, to: "198.51.100.2", port: 80) == [.dropped])
        // The ClusterIP is not filtered.
        #expect(try world.destinations(from: outsider, to: "10.96.0.10", port: 80) == ["10.244.1.1:8080"])
    }

    @Test("dual-stack: each family in its own table")
    func dualStack() throws {
        var world = World()
        world.add(service("api", extraClusterIPs: ["fd00:96::10"]), endpoints: [endpoint("10.244.1.1"), endpoint("fd00:244::1"), endpoint("fd00:244::2")])
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80) == ["10.244.1.1:8080"])
        #expect(try world.destinations(from: addr("fd00:244::9"), to: "fd00:96::10", port: 80) == ["[fd00:244::1]:8080", "[fd00:244::2]:8080"])
        #expect(world.ruleset.tables.keys.sorted() == [TableRef(.ip, "switchyard"), TableRef(.ip6, "switchyard")])
        #expect(try world.outcomes(from: addr("fd00:244::9"), to: "fd00:96::10", port: 81) == [.rejected(.tcpReset)])
    }

    @Test("chains dispatch: endpoint i is taken with 1/(n−i), which multiplies out to 1/n", arguments: 1...8)
    func chainsProbabilities(count: Int) throws {
        var world = World()
        world.config.dispatch = .chains
        world.add(service("web"), endpoints: (1...count).map { endpoint("10.244.1.\($0)") })
        let name = Names.serviceChain(try #require(world.plans.first).name)
        let rules = try #require(world.ruleset.chain(TableRef(.ip, "switchyard"), name)?.rules)
        #expect(rules.count == count)
        var remaining = 1.0
        for rule in rules {
            var take = 1.0
            if case .match(.numgen(.random, let modulus, 0), .equal, .value(.integer(0)))? = rule.statements.first { take = 1 / Double(modulus) }
            #expect(abs(remaining * take - 1 / Double(count)) < 1e-12, "\(rule.body)")
            remaining *= 1 - take
        }
        #expect(abs(remaining) < 1e-12)
        #expect(try world.destinations(from: World.remotePod, to: "10.96.0.10", port: 80).count == count)
    }

    @Test("seeded flows spread evenly under every table model", arguments: [DispatchModel.random, .roundrobin, .maglev, .chains])
    func spread(dispatch: DispatchModel) throws {
        var world = World()
        world.config.dispatch = dispatch
        world.add(service("web"), endpoints: (1...4).map { endpoint("10.244.1.\($0)") })
        var fake = try world.fake()
        var hits: [Address: Int] = [:]
        for flow in 0..<2000 {
            let source = addr("10.244.\(100 + flow % 50).\(flow / 50 % 250 + 1)")
            let trace = fake.trace(Packet(from: source, sourcePort: UInt16(10000 + flow), to: addr("10.96.0.10"), port: 80), in: world.environment)
            if let address = trace.outcome.delivery?.address { hits[address, default: 0] += 1 }
        }
        #expect(hits.count == 4)
        #expect(hits.values.allSatisfy { abs($0 - 500) < 100 }, "\(hits)")
    }
}
