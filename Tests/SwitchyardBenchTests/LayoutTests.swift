import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardRules
import SwitchyardTestSupport
@testable import SwitchyardBench

/// The comparison layouts: kube-proxy's nftables text (checked by the real nft) and its iptables
/// partial restore.
@Suite("kube-proxy layouts")
struct LayoutTests {
    struct Fixture {
        var cluster: SyntheticCluster
        var store: ClusterStore
        var plan: ClusterPlan
        let config = SyntheticCluster.config()

        init(services: Int = 20, endpoints: Int = 3) {
            cluster = SyntheticCluster(ClusterShape(services: services, endpointsPerService: endpoints))
            store = cluster.store
            plan = Planner.plan(snapshot: store.snapshot, config: config)
        }

        var layout: KubeProxyNFTLayout { KubeProxyNFTLayout(node: plan.node, config: config) }

        /// Applies events; returns the changed Services' plans before and after.
        mutating func change(_ events: [ClusterEvent]) -> (old: [ServicePortPlan], new: [ServicePortPlan]) {
            store.apply(events)
            let update = Planner.plan(changes: store.takeChanges(), snapshot: store.snapshot, config: config)
            let old = update.services.keys.sorted().flatMap { plan.services[$0] ?? [] }
            plan.apply(update)
            return (old, update.services.keys.sorted().flatMap { plan.services[$0] ?? [] })
        }
    }

    @Test("the full sync has kube-proxy's shape: per-service and per-endpoint chains, inline numgen vmap")
    func shape() {
        let fixture = Fixture(services: 10, endpoints: 3)
        let (text, counts) = fixture.layout.fullSync(fixture.plan.servicePorts)
        #expect(text.contains("add table ip kube-proxy"))
        #expect(text.contains("numgen random mod 3 vmap { 0 : goto endpoint-"))
        #expect(text.contains("add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict"))
        let serviceChains = text.split(separator: "\n").filter { $0.hasPrefix("add chain ip kube-proxy service-") && $0.contains("/") }
        let endpointChains = text.split(separator: "\n").filter { $0.hasPrefix("add chain ip kube-proxy endpoint-") }
        #expect(serviceChains.count == 10)
        #expect(endpointChains.count == 30)
        #expect(counts.elements >= 20)
        #expect(fixture.layout.fullSync(fixture.plan.servicePorts).text == text)
    }

    @Test("an endpoint change rewrites one service chain, adds one endpoint chain, deletes one")
    func partial() {
        var fixture = Fixture()
        let (old, new) = fixture.change(fixture.cluster.replaceEndpoint(round: 1))
        let text = fixture.layout.partialSync(old: old, new: new)
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("flush chain ip kube-proxy service-") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("delete chain ip kube-proxy endpoint-") }.count == 1)
        #expect(!text.contains("element"))
    }

    @Test("nft accepts the full sync and then each partial sync (real nft, in a test namespace)")
    func kernelAccepts() async throws {
        if let reason = TestNamespace.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        var fixture = Fixture()
        let full = fixture.layout.fullSync(fixture.plan.servicePorts).text
        try await TestNamespace.with("bench-kp") { namespace in
            let check = try namespace.run(["nft", "-c", "-f", "-"], input: full)
            #expect(check.status == 0, "nft -c -f refused the full sync: \(check.error)")
            try namespace.runChecked(["nft", "-f", "-"], input: full)
            var texts: [String] = []
            for events in [fixture.cluster.replaceEndpoint(round: 2), fixture.cluster.addService(), fixture.cluster.removeService(round: 3)] {
                let (old, new) = fixture.change(events)
                texts.append(fixture.layout.partialSync(old: old, new: new))
            }
            for text in texts {
                let result = try namespace.run(["nft", "-f", "-"], input: text)
                #expect(result.status == 0, "nft -f refused a partial sync: \(result.error)\n\(text)")
            }
        }
    }

    @Test("iptables partial restore keeps the top-level chains whole and only the changed Service's chains")
    func iptablesPartial() {
        var fixture = Fixture(services: 10, endpoints: 3)
        let (old, new) = fixture.change(fixture.cluster.replaceEndpoint(round: 4))
        let full = IptablesRenderer.render(fixture.plan.servicePorts, family: .ipv4, node: fixture.plan.node, config: fixture.config)
        let text = KubeProxyIptablesLayout.partialSync(full: full, old: old, new: new)
        let declared = text.split(separator: "\n").filter { $0.hasPrefix(":KUBE-SEP-") }
        #expect(declared.count == 4)  // three current endpoints + the stale one, declared to be deleted
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("-X KUBE-SEP-") }.count == 1)
        let services = full.split(separator: "\n").filter { $0.hasPrefix("-A KUBE-SERVICES") }.count
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("-A KUBE-SERVICES") }.count == services)
    }

    @Test("iptables-restore accepts the full and partial restores (in a test namespace)")
    func iptablesAccepts() async throws {
        if let reason = TestNamespace.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        guard Shell.has("iptables-restore") else {
            print("skipped: no iptables-restore")
            return
        }
        var fixture = Fixture()
        let full = KubeProxyIptablesLayout.fullSync(fixture.plan.servicePorts, node: fixture.plan.node, config: fixture.config)
        let (old, new) = fixture.change(fixture.cluster.replaceEndpoint(round: 5))
        let now = IptablesRenderer.render(fixture.plan.servicePorts, family: .ipv4, node: fixture.plan.node, config: fixture.config)
        let partial = KubeProxyIptablesLayout.partialSync(full: now, old: old, new: new)
        try await TestNamespace.with("bench-ipt") { namespace in
            try namespace.runChecked(["iptables-restore", "--noflush"], input: full)
            let result = try namespace.run(["iptables-restore", "--noflush"], input: partial)
            #expect(result.status == 0, "iptables-restore refused the partial restore: \(result.error)")
        }
    }
}
