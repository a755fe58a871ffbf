import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules
import Testing

/// `switchyard.dev/dispatch` (issue 17, item 5): one Service's model overrides `--dispatch`.
@Suite("Per-Service dispatch model")
struct PerServiceDispatchTests {
    static func world(annotation: String?) -> World {
        var world = World()
        var web = service("web", clusterIP: "10.96.0.10")
        web.dispatchAnnotation = annotation
        world.add(web, endpoints: (1...10).map { endpoint("10.244.1.\($0)") })
        world.add(service("api", clusterIP: "10.96.0.20"), endpoints: (1...10).map { endpoint("10.244.2.\($0)") })
        return world
    }

    @Test("an annotated Service gets its own table set and rule; the others keep --dispatch's")
    func ownTables() {
        let world = Self.world(annotation: "Maglev")
        let plans = world.plans
        #expect(plans.first { $0.name.service.name == "web" }?.dispatch == .maglev)
        #expect(plans.first { $0.name.service.name == "api" }?.dispatch == nil)
        let listing = world.ruleset.listing()
        #expect(listing.contains("service-maglev-mod-"), "\(listing)")
        #expect(listing.contains("jhash ip saddr mod"), "maglev hashes the client address")
        #expect(listing.contains("numgen random mod 10"), "api stays random")
    }

    @Test("maglev hashes the client address (a client keeps its endpoint: TrafficTests, in the kernel); the flow with --maglev-hash-flows")
    func hashInput() {
        var world = Self.world(annotation: "maglev")
        #expect(!world.ruleset.listing().contains("th sport"))
        world.config.maglevHashesFlows = true
        #expect(world.ruleset.listing().contains("jhash ip saddr . th sport"))
    }

    @Test("an unknown value is reported on the plan and --dispatch applies")
    func unknownValue() {
        let plans = Self.world(annotation: "fastest").plans
        let web = plans.first { $0.name.service.name == "web" }
        #expect(web?.dispatch == nil)
        #expect(web?.ignoredDispatchAnnotation == "fastest")
    }

    @Test("round robin: each Service has its own counter (its own chain), not one per table size")
    func roundRobinCounters() {
        var world = World()
        world.config.dispatch = .roundrobin
        world.add(service("web", clusterIP: "10.96.0.10"), endpoints: [endpoint("10.244.1.1"), endpoint("10.244.1.2")])
        world.add(service("api", clusterIP: "10.96.0.20"), endpoints: [endpoint("10.244.2.1"), endpoint("10.244.2.2")])
        let listing = world.ruleset.listing()
        let counters = listing.split(separator: "\n").filter { $0.contains("numgen inc mod 2") }
        #expect(counters.count == 2, "one numgen inc per Service: \(counters)")
        #expect(!listing.contains("service-mod-2"), "no shared size table")
        #expect(listing.contains("rr-service-primary-cluster-"))
    }
}
