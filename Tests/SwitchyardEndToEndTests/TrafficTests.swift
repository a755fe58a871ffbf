import Foundation
import Testing
import SwitchyardDaemon
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardSandbox
import SwitchyardTestSupport

/// Real TCP and UDP from a client namespace (and from pods) through the rules Switchyard programs
/// into a sandbox node over netlink. Each test builds its own sandbox of examples/cluster.
@Suite("End to end: real traffic through programmed rules", .serialized,
       .enabled(if: endToEndUnavailable == nil, "skipped: \(endToEndUnavailable ?? "")"))
struct TrafficTests {
    static let web = ExampleCluster.address("10.96.0.20")
    static let dns = ExampleCluster.address("10.96.0.10")
    static let nodeIP = ExampleCluster.address("192.168.50.10")
    static let readyWebPods: Set<String> = ["web-7c9d8f6b5-2x8kq", "web-7c9d8f6b5-9hv4m", "web-7c9d8f6b5-tq7lp"]

    /// A sandbox of examples/cluster with its node programmed; torn down afterwards.
    static func withProgrammedSandbox(
        _ tag: String, dispatch: DispatchModel = .random, mode: ProxyMode = .nftables, store: ClusterStore? = nil,
        _ body: (ClusterSandbox, ProgrammedNode) async throws -> Void
    ) async throws {
        let store = try store ?? ExampleCluster.store()
        let configuration = SandboxConfiguration(snapshot: store.snapshot, tag: tag)
        try await ClusterSandbox.with(configuration, echoServer: Shell.switchyardBinary) { sandbox in
            let node = try await ProgrammedNode(store: store, namespace: sandbox.nodeNamespace, dispatch: dispatch, mode: mode)
            try await body(sandbox, node)
        }
    }

    /// The modes that program the kernel.
    static let kernelModes: [ProxyMode] = [.nftables, .iptables]

    /// Keeps the namespaces of the two modes apart.
    static func suffix(_ mode: ProxyMode) -> String { mode == .iptables ? "i" : "" }

    @Test("iptables mode: ClusterIP TCP and UDP reach every ready endpoint through kube-proxy's chains, as iptables -t nat lists them")
    func iptablesSpreads() async throws {
        try await Self.withProgrammedSandbox("e2eipt", mode: .iptables) { sandbox, _ in
            let tcp = Self.names(sandbox.requests(90, from: sandbox.clientNamespace, to: Self.web, port: 80))
            #expect(Set(tcp.keys) == Self.readyWebPods, "\(tcp)")
            #expect(tcp.values.allSatisfy { $0 >= 15 }, "uneven: \(tcp)")
            let udp = Self.names(sandbox.requests(60, from: sandbox.clientNamespace, to: Self.dns, port: 53, proto: .udp))
            #expect(udp.count == 2 && udp.values.allSatisfy { $0 >= 12 }, "\(udp)")
            let listing = try Shell.run(["ip", "netns", "exec", sandbox.nodeNamespace, "iptables", "-t", "nat", "-nL", "KUBE-SERVICES"]).output
            #expect(listing.contains("KUBE-SVC-") && listing.contains("default/web:http cluster IP"), "\(listing)")
            let nft = try Shell.run(["ip", "netns", "exec", sandbox.nodeNamespace, "nft", "list", "tables"]).output
            #expect(!nft.contains("switchyard"), "no nftables table of Switchyard's own in iptables mode: \(nft)")
        }
    }

    static func names(_ results: [ProbeResult]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for result in results { counts[result.name ?? "\(result)", default: 0] += 1 }
        return counts
    }

    @Test("ClusterIP TCP and UDP reach every ready endpoint, roughly evenly", arguments: [DispatchModel.random, .roundrobin, .chains])
    func clusterIPSpreads(dispatch: DispatchModel) async throws {
        try await Self.withProgrammedSandbox("e2e\(dispatch.rawValue.prefix(3))", dispatch: dispatch) { sandbox, _ in
            let tcp = Self.names(sandbox.requests(90, from: sandbox.clientNamespace, to: Self.web, port: 80))
            #expect(Set(tcp.keys) == Self.readyWebPods, "\(tcp)")
            #expect(tcp.values.allSatisfy { $0 >= 15 }, "uneven: \(tcp)")
            let udp = Self.names(sandbox.requests(60, from: sandbox.clientNamespace, to: Self.dns, port: 53, proto: .udp))
            #expect(udp.count == 2 && udp.values.allSatisfy { $0 >= 12 }, "\(udp)")
        }
    }

    @Test("hash-based dispatch reaches only ready endpoints and keeps a source on one endpoint", arguments: [DispatchModel.sourcehash, .maglev])
    func hashDispatch(dispatch: DispatchModel) async throws {
        try await Self.withProgrammedSandbox("e2e\(dispatch.rawValue.prefix(3))", dispatch: dispatch) { sandbox, _ in
            let tcp = Self.names(sandbox.requests(20, from: sandbox.clientNamespace, to: Self.web, port: 80))
            #expect(Set(tcp.keys).isSubset(of: Self.readyWebPods) && !tcp.isEmpty, "\(tcp)")
            // Both hash the client address (maglev per flow only with --maglev-hash-flows).
            #expect(tcp.count == 1, "\(dispatch): one client address, one endpoint: \(tcp)")
        }
    }

    @Test("NodePort from the outside client reaches the service's endpoints", arguments: Self.kernelModes)
    func nodePort(mode: ProxyMode) async throws {
        try await Self.withProgrammedSandbox("e2enp" + Self.suffix(mode), mode: mode) { sandbox, _ in
            let results = sandbox.requests(20, from: sandbox.clientNamespace, to: Self.nodeIP, port: 30080)
            let names = Self.names(results)
            #expect(!names.isEmpty && names.keys.allSatisfy { $0.hasPrefix("shop-") }, "\(names)")
        }
    }

    @Test("LoadBalancer IP: allowed sources reach the local endpoint with their address kept; others are dropped", arguments: Self.kernelModes)
    func loadBalancerSourceRanges(mode: ProxyMode) async throws {
        try await Self.withProgrammedSandbox("e2elb" + Self.suffix(mode), mode: mode) { sandbox, _ in
            let lb = ExampleCluster.address("192.168.50.240")
            let allowed = try #require(sandbox.configuration.extraClientAddresses.first { $0.description.hasPrefix("203.0.113.") })
            let results = sandbox.requests(10, from: sandbox.clientNamespace, to: lb, port: 80, source: allowed)
            for result in results {
                let reply = try #require(result.reply, "\(result)")
                #expect(reply.sourceAddress == allowed, "externalTrafficPolicy Local keeps the client address")
                #expect(reply.name.hasPrefix("gateway-"), "\(reply)")
            }
            #expect(Set(results.compactMap(\.name)).count == 1, "only the one local endpoint serves external traffic")
            let denied = sandbox.request(from: sandbox.clientNamespace, to: lb, port: 80, timeout: .milliseconds(500))
            #expect(denied == .timedOut, "a source outside loadBalancerSourceRanges is dropped: \(denied)")
        }
    }

    @Test("hairpin: a pod reaching its own service can land on itself", arguments: Self.kernelModes)
    func hairpin(mode: ProxyMode) async throws {
        try await Self.withProgrammedSandbox("e2ehp" + Self.suffix(mode), mode: mode) { sandbox, node in
            let pod = try #require(node.store.snapshot.pods.values.first { $0.name == "web-7c9d8f6b5-2x8kq" })
            let namespace = try #require(sandbox.namespace(of: pod.key))
            let results = sandbox.requests(40, from: namespace, to: Self.web, port: 80)
            let toSelf = results.compactMap(\.reply).filter { $0.name == pod.name }
            #expect(!toSelf.isEmpty, "\(Self.names(results))")
            #expect(toSelf.allSatisfy { $0.sourceAddress != pod.podIPs[0] }, "hairpin traffic is masqueraded")
        }
    }

    @Test("session affinity keeps one client on one endpoint", arguments: Self.kernelModes)
    func sessionAffinity(mode: ProxyMode) async throws {
        try await Self.withProgrammedSandbox("e2esa" + Self.suffix(mode), mode: mode) { sandbox, _ in
            let cart = ExampleCluster.address("10.96.0.80")
            let names = Self.names(sandbox.requests(20, from: sandbox.clientNamespace, to: cart, port: 80))
            #expect(names.count == 1 && names.keys.allSatisfy { $0.hasPrefix("cart-") }, "\(names)")
        }
    }

    @Test("a service without endpoints refuses at once, TCP and UDP", arguments: Self.kernelModes)
    func noEndpointsRefuses(mode: ProxyMode) async throws {
        var store = try ExampleCluster.store()
        let empty = Service(namespace: "default", name: "empty", clusterIPs: [ExampleCluster.address("10.96.0.99")],
                            ports: [ServicePort(name: "http", port: 80), ServicePort(name: "dns", protocol: .udp, port: 53)])
        store.apply(.added(.service(empty)))
        try await Self.withProgrammedSandbox("e2ene" + Self.suffix(mode), mode: mode, store: store) { sandbox, _ in
            let start = ContinuousClock.now
            let tcp = sandbox.request(from: sandbox.clientNamespace, to: empty.clusterIPs[0], port: 80, timeout: .seconds(2))
            #expect(tcp == .refused, "\(tcp)")
            #expect(ContinuousClock.now - start < .milliseconds(500))
            let udp = sandbox.request(from: sandbox.clientNamespace, to: empty.clusterIPs[0], port: 53, proto: .udp, timeout: .seconds(2))
            #expect(udp == .refused, "\(udp)")
            let unserved = sandbox.request(from: sandbox.clientNamespace, to: Self.web, port: 8081, timeout: .seconds(2))
            // kube-proxy's nftables layout rejects a ClusterIP port the Service does not serve; its
            // iptables layout has no rule for it (the packet leaves undelivered), and iptables mode keeps that.
            #expect(unserved == (mode == .iptables ? .timedOut : .refused), "unserved ClusterIP port: \(unserved)")
        }
    }

    @Test("a Service whose endpoints are all terminating keeps serving through them (kube-proxy's fallback)", arguments: Self.kernelModes)
    func terminatingOnly(mode: ProxyMode) async throws {
        var store = try ExampleCluster.store()
        let pod = try #require(store.snapshot.pods.values.first { $0.name == "web-7c9d8f6b5-2x8kq" })
        let drain = Service(namespace: "default", name: "drain", clusterIPs: [ExampleCluster.address("10.96.0.98")],
                            ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080))])
        let slice = EndpointSlice(
            namespace: "default", name: "drain-1", labels: ["kubernetes.io/service-name": "drain"],
            endpoints: [Endpoint(addresses: [pod.podIPs[0]], conditions: EndpointConditions(ready: false, serving: true, terminating: true),
                                 nodeName: "node-1")],
            ports: [EndpointPort(name: "http", port: 8080)])
        store.apply([.added(.service(drain)), .added(.endpointSlice(slice))])
        try await Self.withProgrammedSandbox("e2etm" + Self.suffix(mode), mode: mode, store: store) { sandbox, _ in
            let names = Self.names(sandbox.requests(5, from: sandbox.clientNamespace, to: drain.clusterIPs[0], port: 80))
            #expect(names == [pod.name: 5], "serving-but-terminating endpoints take the traffic when no endpoint is ready: \(names)")
        }
    }

    @Test("removing an endpoint: new connections avoid it, and a UDP flow moves to a live endpoint", arguments: Self.kernelModes)
    func removedEndpoint(mode: ProxyMode) async throws {
        try await Self.withProgrammedSandbox("e2erm" + Self.suffix(mode), mode: mode) { sandbox, node in
            // A UDP "flow": the same source port every time, so the same conntrack entry.
            let first = try #require(sandbox.request(from: sandbox.clientNamespace, to: Self.dns, port: 53, proto: .udp, sourcePort: 40053).reply)
            let again = sandbox.request(from: sandbox.clientNamespace, to: Self.dns, port: 53, proto: .udp, sourcePort: 40053)
            #expect(again.name == first.name, "a UDP flow sticks to its endpoint while it lives")
            let victim = try #require(node.store.snapshot.pods.values.first { $0.name == first.name })
            var slice = try #require(node.store.snapshot.endpointSlices(of: ObjectKey(namespace: "kube-system", name: "kube-dns")).first)
            slice.endpoints.removeAll { $0.addresses.contains(victim.podIPs[0]) }
            try await node.apply([.updated(.endpointSlice(slice))])
            #expect(node.conntrackDeletions >= 1)
            let moved = sandbox.request(from: sandbox.clientNamespace, to: Self.dns, port: 53, proto: .udp, sourcePort: 40053)
            #expect(moved.name != nil && moved.name != first.name, "the flow's next datagram reaches a live endpoint: \(moved)")
            let fresh = Self.names(sandbox.requests(20, from: sandbox.clientNamespace, to: Self.dns, port: 53, proto: .udp))
            #expect(fresh[victim.name] == nil, "\(fresh)")
        }
    }

    @Test("an incremental change to one service leaves a long-lived connection to another up", arguments: Self.kernelModes)
    func longLivedConnectionSurvives(mode: ProxyMode) async throws {
        try await Self.withProgrammedSandbox("e2ell" + Self.suffix(mode), mode: mode) { sandbox, node in
            let held = try sandbox.hold(from: sandbox.clientNamespace, to: Self.web, port: 80)
            defer { held.close() }
            var shop = try #require(node.store.snapshot.services[ObjectKey(namespace: "default", name: "shop")])
            shop.ports.append(ServicePort(name: "admin", port: 81, targetPort: .number(8080)))
            // The EndpointSlice controller publishes the new port on the slices too.
            var slice = try #require(node.store.snapshot.endpointSlices(of: shop.key).first)
            slice.ports.append(EndpointPort(name: "admin", port: 8080))
            try await node.apply([.updated(.service(shop)), .updated(.endpointSlice(slice))])
            #expect((node.lastReport?.programming.operations ?? 0) > 0)
            #expect(held.isAlive(), "the connection to web survives a change to shop")
            let reached = sandbox.request(from: sandbox.clientNamespace, to: ExampleCluster.address("10.96.0.30"), port: 81)
            #expect(reached.name?.hasPrefix("shop-") == true, "\(reached)")
        }
    }

    @Test("a restart reconciles against the kernel: no changes sent, no connection dropped")
    func restartSendsNothing() async throws {
        try await Self.withProgrammedSandbox("e2ers") { sandbox, node in
            let held = try sandbox.hold(from: sandbox.clientNamespace, to: Self.web, port: 80)
            defer { held.close() }
            let restarted = try NetfilterProgrammer(namespace: .named(sandbox.nodeNamespace))
            let tables = [TableRef(.ip, OwnedTables.name), TableRef(.ip6, OwnedTables.name)]
            let summary = try restarted.reconcile(to: node.programmed, tables: tables)
            #expect(summary.operations == 0, "\(summary.labels)")
            #expect(held.isAlive())
            #expect(sandbox.request(from: sandbox.clientNamespace, to: Self.web, port: 80).name != nil)
        }
    }

    @Test("iptables mode: a restarted daemon re-applies without dropping a held connection; cleanup leaves no KUBE-* chain")
    func iptablesRestartAndCleanup() async throws {
        try await Self.withProgrammedSandbox("e2eirs", mode: .iptables) { sandbox, node in
            let held = try sandbox.hold(from: sandbox.clientNamespace, to: Self.web, port: 80)
            defer { held.close() }
            // A new process: it reads the chains back from iptables-save and restores the same layout.
            let restarted = try await ProgrammedNode(store: node.store, namespace: sandbox.nodeNamespace, mode: .iptables)
            #expect((restarted.lastReport?.programming.operations ?? 0) > 0)
            #expect(held.isAlive(), "the held connection survives the restart")
            #expect(sandbox.request(from: sandbox.clientNamespace, to: Self.web, port: 80).name != nil)
            let jumps = try Shell.run(["ip", "netns", "exec", sandbox.nodeNamespace, "iptables", "-t", "nat", "-S", "PREROUTING"]).output
            #expect(jumps.components(separatedBy: "KUBE-SERVICES").count == 2, "one jump, not one per start: \(jumps)")
            let cleanup = try Shell.run([Shell.switchyardBinary, "cleanup", "--netns", sandbox.nodeNamespace])
            #expect(cleanup.output.contains("iptables chains"), "\(cleanup.output) \(cleanup.error)")
            for tool in ["iptables-save", "ip6tables-save"] {
                let saved = try Shell.run(["ip", "netns", "exec", sandbox.nodeNamespace, tool]).output
                #expect(!saved.contains("KUBE-"), "\(tool) after cleanup:\n\(saved)")
            }
        }
    }

    @Test("dual-stack: the IPv6 ClusterIP reaches the IPv6 endpoints", arguments: Self.kernelModes)
    func dualStack(mode: ProxyMode) async throws {
        try await Self.withProgrammedSandbox("e2eds" + Self.suffix(mode), mode: mode) { sandbox, _ in
            let names = Self.names(sandbox.requests(20, from: sandbox.clientNamespace, to: ExampleCluster.address("fd00:10:96::70"), port: 80))
            #expect(names.count == 2 && names.keys.allSatisfy { $0.hasPrefix("api-") }, "\(names)")
        }
    }
}
