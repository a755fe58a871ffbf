import SwitchyardLB
import SwitchyardModel
import Testing

/// The selection rules of kube-proxy's CategorizeEndpoints, one test (or table) per rule.
@Suite("Endpoint selection")
struct EndpointSelectionTests {
    typealias F = Fixture

    private func onlyPlan(_ service: Service, _ slices: [EndpointSlice]) throws -> ServicePortPlan {
        let plans = F.plan(service, slices)
        try #require(plans.count == 1)
        return plans[0]
    }

    @Test("cluster endpoints are the ready ones, sorted by address")
    func readyOnly() throws {
        let plan = try onlyPlan(F.service(), [F.slice("s1", endpoints: [
            F.endpoint("10.244.2.5"),
            F.endpoint("10.244.1.9", ready: false),
            F.endpoint("10.244.1.10"),
            F.endpoint("10.244.3.1", ready: false, serving: true, terminating: true),
        ])])
        #expect(F.addresses(plan.cluster) == ["10.244.1.10:8080", "10.244.2.5:8080"])
        #expect(plan.hasEndpoints)
        #expect(plan.internal == plan.cluster)
        #expect(plan.external == plan.cluster)
    }

    /// (conditions of each endpoint) → expected cluster set.
    static let fallbackCases: [([EndpointConditions], [String])] = [
        // Nothing ready: serving+terminating ones are used.
        ([.init(ready: false, serving: true, terminating: true), .init(ready: false, serving: false, terminating: true)],
         ["10.244.0.1:8080"]),
        // One ready: only it, terminating ones are ignored.
        ([.init(ready: false, serving: true, terminating: true), .init(ready: true)], ["10.244.0.2:8080"]),
        // Not ready, not terminating (starting up): never used.
        ([.init(ready: false, serving: false, terminating: false), .init(ready: false, serving: true, terminating: false)], []),
        // nil conditions mean ready.
        ([.init(), .init(ready: nil, serving: nil, terminating: nil)], ["10.244.0.1:8080", "10.244.0.2:8080"]),
        // serving nil defers to ready (false), so a terminating not-ready endpoint is not serving.
        ([.init(ready: false, serving: nil, terminating: true)], []),
    ]

    @Test("serving and terminating endpoints are a fallback only when none is ready", arguments: fallbackCases)
    func servingTerminatingFallback(conditions: [EndpointConditions], expected: [String]) throws {
        let endpoints = conditions.enumerated().map { index, condition in
            Endpoint(addresses: [F.ip("10.244.0.\(index + 1)")], conditions: condition, nodeName: "node-b")
        }
        let plan = try onlyPlan(F.service(), [F.slice("s1", endpoints: endpoints)])
        #expect(F.addresses(plan.cluster) == expected)
        #expect(plan.hasEndpoints == !expected.isEmpty)
        #expect(plan.cluster.ifEmpty == .reject)
    }

    @Test("local endpoints: local ready ones, else local serving and terminating ones")
    func localFallback() throws {
        let readyAndTerminating = try onlyPlan(F.service(), [F.slice("s1", endpoints: [
            F.endpoint("10.244.0.1", node: F.nodeName),
            F.endpoint("10.244.0.2", node: F.nodeName, ready: false, serving: true, terminating: true),
            F.endpoint("10.244.0.3"),
        ])])
        #expect(F.addresses(readyAndTerminating.local) == ["10.244.0.1:8080"])
        #expect(readyAndTerminating.local.endpoints.allSatisfy { $0.isLocal })
        #expect(readyAndTerminating.localEndpointCount == 1)

        let onlyTerminatingLocally = try onlyPlan(F.service(), [F.slice("s1", endpoints: [
            F.endpoint("10.244.0.2", node: F.nodeName, ready: false, serving: true, terminating: true),
            F.endpoint("10.244.0.3"),
        ])])
        #expect(F.addresses(onlyTerminatingLocally.local) == ["10.244.0.2:8080"])
        // The cluster set still has a ready endpoint elsewhere, so no fallback there.
        #expect(F.addresses(onlyTerminatingLocally.cluster) == ["10.244.0.3:8080"])
        #expect(onlyTerminatingLocally.localEndpointCount == 0)
    }

    /// (ITP, ETP, endpoints: (address, local?)) → (internal, external, internal verdict, external verdict)
    static let policyCases: [(TrafficPolicy, TrafficPolicy, [(String, Bool)], [String], [String], NoEndpointsVerdict, NoEndpointsVerdict)] = [
        (.cluster, .cluster, [("10.244.0.1", true), ("10.244.0.2", false)],
         ["10.244.0.1:8080", "10.244.0.2:8080"], ["10.244.0.1:8080", "10.244.0.2:8080"], .reject, .reject),
        (.local, .cluster, [("10.244.0.1", true), ("10.244.0.2", false)],
         ["10.244.0.1:8080"], ["10.244.0.1:8080", "10.244.0.2:8080"], .drop, .reject),
        (.cluster, .local, [("10.244.0.1", true), ("10.244.0.2", false)],
         ["10.244.0.1:8080", "10.244.0.2:8080"], ["10.244.0.1:8080"], .reject, .drop),
        // Local policy, none local but some elsewhere: drop.
        (.local, .local, [("10.244.0.2", false)], [], [], .drop, .drop),
        // None anywhere: reject, whatever the policy.
        (.local, .local, [], [], [], .reject, .reject),
        (.cluster, .cluster, [], [], [], .reject, .reject),
    ]

    @Test("internalTrafficPolicy / externalTrafficPolicy Local use local endpoints; empty → drop or reject",
          arguments: policyCases)
    func trafficPolicies(
        itp: TrafficPolicy, etp: TrafficPolicy, endpoints: [(String, Bool)], expectedInternal: [String], expectedExternal: [String],
        internalVerdict: NoEndpointsVerdict, externalVerdict: NoEndpointsVerdict
    ) throws {
        let service = F.service(ports: [ServicePort(name: "http", port: 80, nodePort: 30080)]) {
            $0.type = .nodePort
            $0.internalTrafficPolicy = itp
            $0.externalTrafficPolicy = etp
        }
        let plan = try onlyPlan(service, [F.slice("s1", endpoints: endpoints.map {
            F.endpoint($0.0, node: $0.1 ? F.nodeName : "node-b")
        })])
        #expect(F.addresses(plan.internal) == expectedInternal)
        #expect(F.addresses(plan.external) == expectedExternal)
        if expectedInternal.isEmpty { #expect(plan.internal.ifEmpty == internalVerdict) }
        if expectedExternal.isEmpty { #expect(plan.external.ifEmpty == externalVerdict) }
        #expect(plan.shortCircuitsLocalSources == (etp == .local))
    }

    @Test("zone hints filter only when every ready endpoint has one and one matches this zone",
          arguments: [
            // (zone hints per endpoint, expected cluster)
            ([["zone-1"], ["zone-2"], ["zone-1", "zone-3"]], ["10.244.0.1:8080", "10.244.0.3:8080"]),
            ([["zone-1"], [], ["zone-2"]], ["10.244.0.1:8080", "10.244.0.2:8080", "10.244.0.3:8080"]),
            ([["zone-2"], ["zone-2"], ["zone-3"]], ["10.244.0.1:8080", "10.244.0.2:8080", "10.244.0.3:8080"]),
            ([[], [], []], ["10.244.0.1:8080", "10.244.0.2:8080", "10.244.0.3:8080"]),
          ] as [([[String]], [String])])
    func zoneHints(zones: [[String]], expected: [String]) throws {
        let endpoints = zones.enumerated().map { index, zones in
            F.endpoint("10.244.0.\(index + 1)", hints: zones.isEmpty ? nil : EndpointHints(forZones: zones))
        }
        let plan = try onlyPlan(F.service(), [F.slice("s1", endpoints: endpoints)])
        #expect(F.addresses(plan.cluster) == expected)
    }

    @Test("a not-ready endpoint without hints does not disable the filter")
    func hintsOnlyCountReadyEndpoints() throws {
        let plan = try onlyPlan(F.service(), [F.slice("s1", endpoints: [
            F.endpoint("10.244.0.1", hints: EndpointHints(forZones: ["zone-1"])),
            F.endpoint("10.244.0.2", hints: EndpointHints(forZones: ["zone-2"])),
            F.endpoint("10.244.0.3", ready: false),
        ])])
        #expect(F.addresses(plan.cluster) == ["10.244.0.1:8080"])
    }

    @Test("node hints win over zone hints when every ready endpoint has one and one names this node")
    func nodeHints() throws {
        let hints: [EndpointHints] = [
            EndpointHints(forZones: ["zone-1"], forNodes: [F.nodeName]),
            EndpointHints(forZones: ["zone-1"], forNodes: ["node-b"]),
            EndpointHints(forZones: ["zone-2"], forNodes: ["node-c"]),
        ]
        let endpoints = hints.enumerated().map { F.endpoint("10.244.0.\($0.offset + 1)", hints: $0.element) }
        let plan = try onlyPlan(F.service(), [F.slice("s1", endpoints: endpoints)])
        #expect(F.addresses(plan.cluster) == ["10.244.0.1:8080"])

        // No endpoint for this node: fall back to the zone hints.
        let elsewhere = Array(endpoints.dropFirst()) + [F.endpoint("10.244.0.4", hints: EndpointHints(forZones: ["zone-1"], forNodes: ["node-d"]))]
        let zonePlan = try onlyPlan(F.service(), [F.slice("s1", endpoints: elsewhere)])
        #expect(F.addresses(zonePlan.cluster) == ["10.244.0.2:8080", "10.244.0.4:8080"])
    }

    @Test("topology never hides the local endpoints from Local policy")
    func topologyAndLocal() throws {
        let service = F.service { $0.internalTrafficPolicy = .local }
        let plan = try onlyPlan(service, [F.slice("s1", endpoints: [
            F.endpoint("10.244.0.1", node: F.nodeName, hints: EndpointHints(forZones: ["zone-2"])),
            F.endpoint("10.244.0.2", hints: EndpointHints(forZones: ["zone-1"])),
        ])])
        #expect(F.addresses(plan.cluster) == ["10.244.0.2:8080"])
        #expect(F.addresses(plan.internal) == ["10.244.0.1:8080"])
    }

    /// (trafficDistribution, (address, node, zone) per endpoint) → expected cluster set, with no hints
    /// in the slices (as read from manifests).
    static let distributionCases: [(TrafficDistribution?, [(String, String, String?)], [String])] = [
        (.preferClose, [("10.244.0.1", "node-b", "zone-1"), ("10.244.0.2", "node-c", "zone-2")], ["10.244.0.1:8080"]),
        (.preferSameZone, [("10.244.0.1", "node-b", "zone-1"), ("10.244.0.2", "node-c", "zone-2")], ["10.244.0.1:8080"]),
        (.preferSameNode, [("10.244.0.1", "node-b", "zone-1"), ("10.244.0.2", Fixture.nodeName, "zone-1"),
                           ("10.244.0.3", "node-c", "zone-2")], ["10.244.0.2:8080"]),
        // PreferSameNode with nothing on this node: same zone.
        (.preferSameNode, [("10.244.0.1", "node-b", "zone-1"), ("10.244.0.3", "node-c", "zone-2")], ["10.244.0.1:8080"]),
        // An endpoint without a zone gets no hint, so nothing is filtered.
        (.preferClose, [("10.244.0.1", "node-b", "zone-1"), ("10.244.0.2", "node-c", nil)],
         ["10.244.0.1:8080", "10.244.0.2:8080"]),
        // No endpoint in this zone: nothing is filtered.
        (.preferClose, [("10.244.0.1", "node-b", "zone-3"), ("10.244.0.2", "node-c", "zone-2")],
         ["10.244.0.1:8080", "10.244.0.2:8080"]),
        // Without trafficDistribution, zones alone do nothing.
        (nil, [("10.244.0.1", "node-b", "zone-1"), ("10.244.0.2", "node-c", "zone-2")], ["10.244.0.1:8080", "10.244.0.2:8080"]),
    ]

    @Test("trafficDistribution implies the controller's hints when slices carry none", arguments: distributionCases)
    func trafficDistribution(distribution: TrafficDistribution?, endpoints: [(String, String, String?)], expected: [String]) throws {
        let service = F.service { $0.trafficDistribution = distribution }
        let plan = try onlyPlan(service, [F.slice("s1", endpoints: endpoints.map {
            F.endpoint($0.0, node: $0.1, zone: $0.2)
        })])
        #expect(F.addresses(plan.cluster) == expected)
    }

    @Test("explicit hints take precedence over trafficDistribution")
    func explicitHintsWin() throws {
        let service = F.service { $0.trafficDistribution = .preferClose }
        let plan = try onlyPlan(service, [F.slice("s1", endpoints: [
            F.endpoint("10.244.0.1", zone: "zone-1", hints: EndpointHints(forZones: ["zone-2"])),
            F.endpoint("10.244.0.2", zone: "zone-2", hints: EndpointHints(forZones: ["zone-1"])),
        ])])
        #expect(F.addresses(plan.cluster) == ["10.244.0.2:8080"])
    }

    @Test("the port is resolved by name and protocol in each slice")
    func portResolutionAcrossSlices() throws {
        let service = F.service(ports: [
            ServicePort(name: "http", port: 80, targetPort: .name("web")),
            ServicePort(name: "dns", protocol: .udp, port: 53),
        ])
        let slices = [
            F.slice("a", ports: [EndpointPort(name: "http", port: 8080), EndpointPort(name: "dns", protocol: .udp, port: 5353)],
                    endpoints: [F.endpoint("10.244.0.1")]),
            F.slice("b", ports: [EndpointPort(name: "http", port: 9090), EndpointPort(name: "dns", protocol: .tcp, port: 53)],
                    endpoints: [F.endpoint("10.244.0.2")]),
            F.slice("c", ports: [EndpointPort(name: "other", port: 7070)], endpoints: [F.endpoint("10.244.0.3")]),
            F.slice("d", ports: [EndpointPort(name: "http", port: nil)], endpoints: [F.endpoint("10.244.0.4")]),
        ]
        let plans = F.plan(service, slices)
        let byPort = Dictionary(uniqueKeysWithValues: plans.map { ($0.name.port, $0) })
        #expect(F.addresses(try #require(byPort["http"]).cluster) == ["10.244.0.1:8080", "10.244.0.2:9090"])
        #expect(F.addresses(try #require(byPort["dns"]).cluster) == ["10.244.0.1:5353"])
        #expect(byPort["dns"]?.protocol == .udp)
    }

    @Test("unnamed ports match unnamed slice ports")
    func unnamedPort() throws {
        let service = F.service(ports: [ServicePort(port: 80)])
        let plan = try onlyPlan(service, [F.slice("s1", ports: [EndpointPort(port: 8080)], endpoints: [F.endpoint("10.244.0.1")])])
        #expect(F.addresses(plan.cluster) == ["10.244.0.1:8080"])
        #expect(plan.name.description == "ns/svc")
    }

    @Test("the same ip:port in several slices counts once, the local copy preferred")
    func dedupe() throws {
        let plan = try onlyPlan(F.service(), [
            F.slice("a", endpoints: [F.endpoint("10.244.0.1", node: "node-b"), F.endpoint("10.244.0.2")]),
            F.slice("b", endpoints: [F.endpoint("10.244.0.1", node: F.nodeName)]),
            F.slice("c", ports: [EndpointPort(name: "http", port: 8081)], endpoints: [F.endpoint("10.244.0.1")]),
        ])
        #expect(F.addresses(plan.cluster) == ["10.244.0.1:8080", "10.244.0.1:8081", "10.244.0.2:8080"])
        #expect(plan.cluster.endpoints[0].isLocal)
        #expect(F.addresses(plan.local) == ["10.244.0.1:8080"])
    }

    @Test("dual-stack: one plan per family, each with only its family's slices and addresses")
    func dualStack() throws {
        let service = F.service(clusterIPs: ["10.96.0.10", "fd00:96::10"]) {
            $0.externalIPs = [F.ip("203.0.113.7"), F.ip("2001:db8::7")]
        }
        let slices = [
            F.slice("v4", endpoints: [F.endpoint("10.244.0.1")]),
            F.slice("v6", family: .ipv6, endpoints: [F.endpoint("fd00:244::1"), F.endpoint("fd00:244::2")]),
            // Wrong-family address in a v4 slice, and an FQDN slice: ignored.
            F.slice("v4-odd", endpoints: [F.endpoint("fd00:244::9")]),
            EndpointSlice(namespace: "ns", name: "fqdn", labels: [WellKnownLabel.serviceName: "svc"], addressType: .fqdn,
                          endpoints: [F.endpoint("10.244.0.9")], ports: [EndpointPort(name: "http", port: 8080)]),
        ]
        let plans = F.plan(service, slices)
        #expect(plans.map(\.family) == [.ipv4, .ipv6])
        #expect(plans.map(\.clusterIP.description) == ["10.96.0.10", "fd00:96::10"])
        #expect(F.addresses(plans[0].cluster) == ["10.244.0.1:8080"])
        #expect(F.addresses(plans[1].cluster) == ["[fd00:244::1]:8080", "[fd00:244::2]:8080"])
        #expect(plans[0].externalIPs.map(\.description) == ["203.0.113.7"])
        #expect(plans[1].externalIPs.map(\.description) == ["2001:db8::7"])
    }

    @Test("single-stack service with dual-stack slices plans only its family")
    func singleStackService() throws {
        let plans = F.plan(F.service(), [
            F.slice("v4", endpoints: [F.endpoint("10.244.0.1")]),
            F.slice("v6", family: .ipv6, endpoints: [F.endpoint("fd00:244::1")]),
        ])
        #expect(plans.map(\.family) == [.ipv4])
    }

    @Test("a selected endpoint is 48 bytes: plans hold one per endpoint per service port")
    func selectedEndpointSize() {
        #expect(MemoryLayout<EndpointAddress>.size <= 48)
    }
}
