import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules

@Suite("IncrementalCompiler: per-Service updates equal the full diff")
struct IncrementalTests {
    @Test("its ruleset equals the full compile", arguments: DispatchModel.allCases)
    func sameRuleset(dispatch: DispatchModel) {
        let world = KernelAcceptanceTests.everyFeature(dispatch: dispatch)
        let rules = IncrementalCompiler(config: world.config, plan: world.clusterPlan)
        #expect(rules.ruleset() == world.ruleset)
    }

    /// Scenarios: (name, dispatch, change applied to the world, services to re-plan).
    static let scenarios: [(String, DispatchModel, @Sendable (inout World) -> Void, [String])] = [
        ("one endpoint replaced", .random, { $0.replaceEndpoints("web", ["10.244.1.1", "10.244.2.9"]) }, ["web"]),
        ("a new table size", .random, { $0.replaceEndpoints("web", ["10.244.1.1", "10.244.2.2", "10.244.3.3"]) }, ["web"]),
        ("last size user leaves", .random, { $0.replaceEndpoints("web", ["10.244.1.1"]) }, ["web"]),
        ("service removed, chains model", .chains, { $0.services.removeAll { $0.name == "web" } }, ["web"]),
        ("service added", .maglev, { $0.add(service("new", clusterIP: "10.96.0.99"), endpoints: [endpoint("10.244.1.1")]) }, ["new"]),
        ("affinity timeout changed", .random, { world in
            if let index = world.services.firstIndex(where: { $0.name == "cart" }) { world.services[index].sessionAffinity = .clientIP(timeoutSeconds: 60) }
        }, ["cart"]),
        ("endpoints gone: reject", .sourcehash, { $0.replaceEndpoints("api", []) }, ["api"]),
        ("shared endpoint address", .random, { $0.replaceEndpoints("api", ["10.244.1.1", "10.244.2.2"]) }, ["api"]),
        ("annotated for maglev", .random, { world in
            if let index = world.services.firstIndex(where: { $0.name == "web" }) { world.services[index].dispatchAnnotation = "maglev" }
        }, ["web"]),
        ("annotated for chains", .random, { world in
            if let index = world.services.firstIndex(where: { $0.name == "api" }) { world.services[index].dispatchAnnotation = "chains" }
        }, ["api"]),
        ("service added beside one of its size", .random, { $0.add(service("new", clusterIP: "10.96.0.99"), endpoints: [endpoint("10.244.1.7"), endpoint("10.244.2.7")]) }, ["new"]),
        ("service removed beside one of its size", .random, { $0.services.removeAll { $0.name == "api" } }, ["api"]),
        ("service replaced by one of its size", .random, { world in
            world.services.removeAll { $0.name == "api" }
            world.add(service("new", clusterIP: "10.96.0.99"), endpoints: [endpoint("10.244.1.7"), endpoint("10.244.2.7")])
        }, ["api", "new"]),
        ("annotation removed", .sourcehash, { world in
            if let index = world.services.firstIndex(where: { $0.name == "web" }) { world.services[index].dispatchAnnotation = nil }
        }, ["web"]),
    ]

    @Test("apply() gives the same transaction as the full diff, and reaches the same state", arguments: scenarios.indices)
    func scenario(index: Int) throws {
        let (name, dispatch, change, changed) = Self.scenarios[index]
        let start = DifferTests.threeServices(dispatch: dispatch)
        var end = start
        change(&end)
        var rules = IncrementalCompiler(config: start.config, plan: start.clusterPlan)
        let incremental = rules.apply(end.update(changed))
        let full = Differ.diff(from: start.ruleset, to: end.ruleset)
        #expect(incremental.render() == full.render(), "\(name)")
        #expect(rules.ruleset() == end.ruleset, "\(name)")
        var fake = try start.fake()
        try fake.apply(incremental)
        #expect(fake.dump() == end.ruleset.listing(), "\(name)")
    }

    @Test("a Service added beside others of its table size changes elements alone; one of a new size does not",
          arguments: [(["10.244.1.7", "10.244.2.7"], true), (["10.244.1.7", "10.244.2.7", "10.244.3.7"], false)])
    func elementsOnly(addresses: [String], elementsOnly: Bool) throws {
        let start = DifferTests.threeServices()
        var end = start
        end.add(service("new", clusterIP: "10.96.0.99"), endpoints: addresses.map { endpoint($0) })
        let ports = try #require(end.update(["new"]).services.values.first)
        var tables = IncrementalCompiler(config: start.config, plan: start.clusterPlan).tables
        var touched: [TableRef: Touched]? = [:]
        for (family, part) in IncrementalCompiler.contributions(of: ports, node: start.clusterPlan.node, config: start.config) {
            tables[IncrementalCompiler.table(family)]?.count(part, sign: 1, touched: &touched)
        }
        let table = IncrementalCompiler.table(.ipv4)
        let record = try #require(touched?[table])
        #expect(!record.dispatchTables.isEmpty, "the new Service counts its dispatch table")
        #expect(try record.changesOnlyElements(#require(tables[table])) == elementsOnly)
    }

    @Test("one endpoint change in a 1,000-service cluster touches four elements")
    func minimalAtScale() throws {
        var world = KernelAcceptanceTests.generated(count: 1000, dispatch: .random)
        var rules = IncrementalCompiler(config: world.config, plan: world.clusterPlan)
        let index = world.services.firstIndex { $0.name == "svc-4" } ?? 0
        let key = world.services[index].key
        world.slices = world.slices.map { slice in
            guard slice.namespace == key.namespace, slice.labels["kubernetes.io/service-name"] == key.name else { return slice }
            var changed = slice
            changed.endpoints[0].addresses = [ip("10.245.99.99")]
            return changed
        }
        let transaction = rules.apply(world.update([key.name], namespace: key.namespace))
        let lines = transaction.render().split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("add element") || $0.hasPrefix("delete element") }, "\(transaction.render())")
        #expect(lines.count == 4, "\(transaction.render())")  // hairpin pair and slot, out and in (TCP and UDP ports share the ops)
    }
}

extension World {
    /// Replaces a Service's endpoints (IPv4, on node-b).
    mutating func replaceEndpoints(_ name: String, _ addresses: [String]) {
        slices.removeAll { $0.labels["kubernetes.io/service-name"] == name }
        guard let service = services.first(where: { $0.name == name }) else { return }
        services.removeAll { $0.name == name }
        add(service, endpoints: addresses.map { endpoint($0) })
    }
}
