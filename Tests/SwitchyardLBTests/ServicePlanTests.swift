import SwitchyardLB
import SwitchyardModel
import Testing

@Suite("Service port plans: frontends and what is proxied")
struct ServicePlanTests {
    typealias F = Fixture

    static let endpoints = [F.slice("s1", endpoints: [F.endpoint("10.244.0.1")])]

    @Test("services that are not proxied get no plan", arguments: [
        ("headless", F.service(clusterIPs: []) { $0.isHeadless = true }),
        ("ExternalName", F.service(clusterIPs: []) { $0.type = .externalName; $0.externalName = "example.com" }),
        ("no ClusterIP", F.service(clusterIPs: [])),
        ("service-proxy-name label", F.service { $0.labels[WellKnownLabel.serviceProxyName] = "other-proxy" }),
    ])
    func notProxied(reason: String, service: Service) {
        #expect(F.plan(service, Self.endpoints).isEmpty, "\(reason)")
    }

    @Test("--service-proxy-name: a named proxy plans exactly the Services labelled with its name")
    func serviceProxyName() {
        let labelled = F.service { $0.labels[WellKnownLabel.serviceProxyName] = "switchyard" }
        let other = F.service { $0.labels[WellKnownLabel.serviceProxyName] = "kube-proxy-b" }
        let unlabelled = F.service()
        var named = F.config
        named.serviceProxyName = "switchyard"
        #expect(!F.plan(labelled, Self.endpoints, config: named).isEmpty)
        #expect(F.plan(other, Self.endpoints, config: named).isEmpty)
        #expect(F.plan(unlabelled, Self.endpoints, config: named).isEmpty, "the unlabelled ones are the default proxy's")
        #expect(F.plan(labelled, Self.endpoints).isEmpty, "without a name, a labelled Service is another proxy's")
        #expect(!F.plan(unlabelled, Self.endpoints).isEmpty)
    }

    @Test("a plain ClusterIP service is planned with its port, ClusterIP and no external frontends")
    func clusterIP() throws {
        let plans = F.plan(F.service(), Self.endpoints)
        let plan = try #require(plans.first)
        #expect(plans.count == 1)
        #expect(plan.name == ServicePortName(service: ObjectKey(namespace: "ns", name: "svc"), port: "http", protocol: .tcp))
        #expect(plan.port == 80)
        #expect(plan.clusterIP == F.ip("10.96.0.10"))
        #expect(plan.nodePort == 0)
        #expect(!plan.isExternallyAccessible)
        #expect(plan.sessionAffinityTimeout == nil)
        #expect(plan.description == "ns/svc:http (IPv4)")
    }

    @Test("load-balancer ingress with ipMode Proxy is not a frontend")
    func ipModeProxy() throws {
        let service = F.service {
            $0.type = .loadBalancer
            $0.loadBalancerIngress = [
                LoadBalancerIngress(ip: F.ip("198.51.100.1")),
                LoadBalancerIngress(ip: F.ip("198.51.100.2"), ipMode: .proxy),
                LoadBalancerIngress(ip: F.ip("198.51.100.3"), ipMode: .vip),
                LoadBalancerIngress(hostname: "lb.example.com"),
                LoadBalancerIngress(ip: F.ip("2001:db8::1")),
            ]
        }
        let plan = try #require(F.plan(service, Self.endpoints).first)
        #expect(plan.loadBalancerIPs.map(\.description) == ["198.51.100.1", "198.51.100.3"])
        #expect(plan.isExternallyAccessible)
    }

    @Test("NodePort is a frontend when allocated")
    func nodePort() throws {
        let service = F.service(ports: [ServicePort(name: "http", port: 80, nodePort: 30080), ServicePort(name: "x", port: 81)])
        let plans = F.plan(service, Self.endpoints)
        #expect(plans.map(\.nodePort) == [30080, 0])
        #expect(plans.map(\.isExternallyAccessible) == [true, false])
    }

    @Test("loadBalancerSourceRanges: per family, plus the LB IPs when a range holds a node IP")
    func sourceRanges() throws {
        let base = F.service(clusterIPs: ["10.96.0.10", "fd00:96::10"]) {
            $0.type = .loadBalancer
            $0.loadBalancerIngress = [LoadBalancerIngress(ip: F.ip("198.51.100.1")), LoadBalancerIngress(ip: F.ip("2001:db8::1"))]
            $0.loadBalancerSourceRanges = [F.cidr("203.0.113.0/24")]
        }
        let plans = F.plan(base, Self.endpoints)
        #expect(plans.map(\.restrictsLoadBalancerSources) == [true, true])
        #expect(plans[0].loadBalancerSourceRanges.map(\.description) == ["203.0.113.0/24"])
        // Only IPv4 ranges: IPv6 sources are all outside them.
        #expect(plans[1].loadBalancerSourceRanges.isEmpty)

        var withNode = base
        withNode.loadBalancerSourceRanges.append(F.cidr("192.168.0.0/24"))
        let nodePlans = F.plan(withNode, Self.endpoints)
        #expect(nodePlans[0].loadBalancerSourceRanges.map(\.description) == ["192.168.0.0/24", "198.51.100.1/32", "203.0.113.0/24"])

        let open = F.plan(F.service { $0.loadBalancerIngress = [LoadBalancerIngress(ip: F.ip("198.51.100.1"))] }, Self.endpoints)
        #expect(open.map(\.restrictsLoadBalancerSources) == [false])
    }

    @Test("session affinity timeout, policies and health-check port are carried")
    func carriedFields() throws {
        let service = F.service {
            $0.type = .loadBalancer
            $0.sessionAffinity = .clientIP(timeoutSeconds: 600)
            $0.externalTrafficPolicy = .local
            $0.healthCheckNodePort = 32000
        }
        let plan = try #require(F.plan(service, [F.slice("s1", endpoints: [
            F.endpoint("10.244.0.1", node: F.nodeName), F.endpoint("10.244.0.2", node: F.nodeName),
            F.endpoint("10.244.0.3"),
        ])]).first)
        #expect(plan.sessionAffinityTimeout == 600)
        #expect(plan.externalTrafficPolicy == .local)
        #expect(plan.healthCheckNodePort == 32000)
        #expect(plan.localEndpointCount == 2)
    }

    @Test("the health-check node port is served only for LoadBalancer Services with policy Local", arguments: zip(
        [(ServiceType.loadBalancer, TrafficPolicy.local), (.loadBalancer, .cluster), (.nodePort, .local)], [32000, 0, 0]
    ))
    func healthCheckNodePort(kind: (ServiceType, TrafficPolicy), expected: Int) throws {
        let service = F.service {
            $0.type = kind.0
            $0.externalTrafficPolicy = kind.1
            $0.healthCheckNodePort = 32000
        }
        #expect(try #require(F.plan(service, Self.endpoints).first).healthCheckNodePort == expected)
    }

    @Test("plans are deterministic whatever the slice and endpoint order")
    func deterministic() {
        let a = F.slice("a", endpoints: [F.endpoint("10.244.0.3"), F.endpoint("10.244.0.1")])
        let b = F.slice("b", endpoints: [F.endpoint("10.244.0.2")])
        var config = F.config
        config.dispatch = .maglev
        #expect(F.plan(F.service(), [a, b], config: config) == F.plan(F.service(), [b, a], config: config))
    }

    @Test("the dispatch model shapes each set's table", arguments: DispatchModel.allCases)
    func tablesPerModel(model: DispatchModel) throws {
        var config = F.config
        config.dispatch = model
        let plan = try #require(F.plan(F.service(), [F.slice("s1", endpoints: (1...5).map { F.endpoint("10.244.0.\($0)") })], config: config).first)
        #expect(plan.cluster.table.model == model)
        switch model {
        case .chains: #expect(plan.cluster.table.size == 0)
        case .random, .roundrobin, .sourcehash: #expect(plan.cluster.table.slots == [0, 1, 2, 3, 4])
        case .maglev: #expect(plan.cluster.table.size == 61)
        }
        #expect(plan.local.table.size == 0)  // no local endpoints
    }
}

@Suite("Proxy configuration and node context")
struct ProxyConfigTests {
    typealias F = Fixture

    @Test("--nodeport-addresses parses", arguments: zip(
        [[], ["primary"], ["192.168.0.0/16"], ["10.0.0.0/8,fd00::/8"], [" 10.0.0.0/8 ", "127.0.0.0/8"]] as [[String]],
        ["primary", "primary", "192.168.0.0/16", "10.0.0.0/8,fd00::/8", "10.0.0.0/8,127.0.0.0/8"]
    ))
    func parseNodePortAddresses(values: [String], expected: String) throws {
        #expect(try NodePortAddresses(parsing: values).description == expected)
    }

    @Test("--nodeport-addresses rejects bad values", arguments: zip(
        [["10.0.0.1"], ["primary", "10.0.0.0/8"], ["all"]] as [[String]],
        [ProxyConfigError.invalidNodePortAddress("10.0.0.1"), .primaryMixedWithCIDRs(["primary", "10.0.0.0/8"]),
         .invalidNodePortAddress("all")]
    ))
    func parseNodePortAddressesErrors(values: [String], expected: ProxyConfigError) {
        #expect(throws: expected) { try NodePortAddresses(parsing: values) }
    }

    @Test("NodePort addresses: primary IPs by default; CIDRs over host addresses; loopback only when asked")
    func resolveNodePortAddresses() {
        let host = ["192.168.0.10", "10.1.0.5", "127.0.0.1", "::1", "fd00:192::10"].map(F.ip)
        #expect(NodeContext(config: F.config, node: F.node).nodePortAddresses.map(\.description) == ["192.168.0.10", "fd00:192::10"])
        #expect(NodeContext(config: F.config, node: nil).nodePortAddresses.isEmpty)
        let everything = NodeContext.resolve(.cidrs([F.cidr("0.0.0.0/0"), F.cidr("::/0")]), primaryIPs: [], hostAddresses: host)
        #expect(everything.map(\.description) == ["10.1.0.5", "192.168.0.10", "fd00:192::10"])
        let loopback = NodeContext.resolve(.cidrs([F.cidr("127.0.0.0/8"), F.cidr("10.0.0.0/8")]), primaryIPs: [], hostAddresses: host)
        #expect(loopback.map(\.description) == ["10.1.0.5", "127.0.0.1"])
    }

    @Test("node context reads zone and primary IPs from the Node object")
    func nodeContext() {
        var snapshot = ClusterStore()
        snapshot.apply(.added(.node(F.node)))
        let context = NodeContext(config: F.config, snapshot: snapshot.snapshot)
        #expect(context.zone == "zone-1")
        #expect(context.primaryIPs(of: .ipv4) == [F.ip("192.168.0.10")])
        #expect(context.nodePortAddresses(of: .ipv6) == [F.ip("fd00:192::10")])
    }

    @Test("masquerade mark, cluster CIDRs per family, validation")
    func config() throws {
        var config = ProxyConfig(nodeName: "n", clusterCIDRs: [F.cidr("10.244.0.0/16"), F.cidr("fd00:244::/64")])
        #expect(config.masqueradeMark == 0x4000)
        #expect(config.dispatch == .random)
        #expect(config.clusterCIDRs(of: .ipv6).map(\.description) == ["fd00:244::/64"])
        try config.validate()
        config.masqueradeBit = 32
        #expect(throws: ProxyConfigError.invalidMasqueradeBit(32)) { try config.validate() }
        #expect(throws: ProxyConfigError.emptyNodeName) { try ProxyConfig(nodeName: "").validate() }
        #expect(throws: ProxyConfigError.unknownDispatchModel("wrr")) { try DispatchModel(parsing: "wrr") }
        #expect(try DispatchModel(parsing: "Maglev") == .maglev)
    }
}

@Suite("Health checks")
struct HealthCheckTests {
    typealias F = Fixture

    @Test("local ready endpoints are counted once per address across ports and families")
    func localCount() throws {
        let service = F.service(clusterIPs: ["10.96.0.10", "fd00:96::10"], ports: [
            ServicePort(name: "http", port: 80), ServicePort(name: "https", port: 443),
        ]) {
            $0.type = .loadBalancer
            $0.externalTrafficPolicy = .local
            $0.healthCheckNodePort = 32000
        }
        let ports = [EndpointPort(name: "http", port: 8080), EndpointPort(name: "https", port: 8443)]
        let plans = F.plan(service, [
            F.slice("v4", ports: ports, endpoints: [
                F.endpoint("10.244.0.1", node: F.nodeName), F.endpoint("10.244.0.2", node: F.nodeName),
                F.endpoint("10.244.0.3", node: F.nodeName, ready: false, serving: true, terminating: true),
                F.endpoint("10.244.0.4"),
            ]),
            F.slice("v6", family: .ipv6, ports: ports, endpoints: [F.endpoint("fd00:244::1", node: F.nodeName)]),
        ])
        #expect(plans.count == 4)
        let check = try #require(ServiceHealthCheck(service: service.key, plans: plans))
        #expect(check.nodePort == 32000)
        #expect(check.localEndpoints == 3)
        #expect(ServiceHealthCheck(service: service.key, plans: F.plan(F.service(), [])) == nil)
    }
}

@Suite("Endpoint sets")
struct EndpointSetTests {
    typealias F = Fixture

    @Test("slot endpoints follow the table", arguments: [DispatchModel.random, .maglev])
    func slotEndpoints(model: DispatchModel) throws {
        var config = F.config
        config.dispatch = model
        let plan = try #require(F.plan(F.service(), [F.slice("s1", endpoints: [F.endpoint("10.244.0.2"), F.endpoint("10.244.0.1")])], config: config).first)
        let set = plan.cluster
        #expect(set.slotEndpoints.count == set.table.size)
        #expect(Set(set.slotEndpoints) == Set(set.endpoints))
        #expect(set.endpoint(inSlot: 0) == set.slotEndpoints.first)
        #expect(set.endpoint(inSlot: set.table.size) == nil)
    }

    @Test("reachable endpoints: the union of the sets the policies use", arguments: zip(
        [(TrafficPolicy.cluster, TrafficPolicy.cluster, 0), (.local, .cluster, 0), (.local, .local, 30080), (.cluster, .local, 30080)],
        [["10.244.0.1:8080", "10.244.0.2:8080"], ["10.244.0.1:8080"], ["10.244.0.1:8080", "10.244.0.2:8080"],
         ["10.244.0.1:8080", "10.244.0.2:8080"]]
    ))
    func reachable(policies: (TrafficPolicy, TrafficPolicy, Int), expected: [String]) throws {
        let service = F.service(ports: [ServicePort(name: "http", port: 80, nodePort: policies.2)]) {
            $0.internalTrafficPolicy = policies.0
            $0.externalTrafficPolicy = policies.1
        }
        let plan = try #require(F.plan(service, [F.slice("s1", endpoints: [
            F.endpoint("10.244.0.1", node: F.nodeName), F.endpoint("10.244.0.2"),
        ])]).first)
        #expect(plan.reachableEndpoints.map(\.description) == expected)
    }
}
