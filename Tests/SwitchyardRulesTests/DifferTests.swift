import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules

@Suite("Differ: minimal transactions that reach the wanted state")
struct DifferTests {
    static func threeServices(dispatch: DispatchModel = .random, webEndpoints: [String] = ["10.244.1.1", "10.244.2.2"]) -> World {
        var world = World()
        world.config.dispatch = dispatch
        world.add(service("web", clusterIP: "10.96.0.10"), endpoints: webEndpoints.map { endpoint($0, node: World.nodeName) })
        world.add(service("api", clusterIP: "10.96.0.11", ports: [ServicePort(name: "http", port: 80, nodePort: 30080)], type: .nodePort),
                  endpoints: [endpoint("10.244.1.5"), endpoint("10.244.2.5")])
        world.add(service("cart", clusterIP: "10.96.0.12", affinity: .clientIP(timeoutSeconds: 300)), endpoints: [endpoint("10.244.3.3")])
        return world
    }

    @Test("a full sync is the diff from empty, and applying it yields exactly the wanted state")
    func fullSync() throws {
        let world = Self.threeServices()
        var fake = FakeNetfilter()
        try fake.apply(world.transaction)
        #expect(fake.dump() == world.ruleset.listing())
        #expect(Differ.diff(from: world.ruleset, to: world.ruleset).isEmpty)
    }

    @Test("one endpoint change touches only that service's elements")
    func oneEndpoint() throws {
        let before = Self.threeServices().ruleset
        let after = Self.threeServices(webEndpoints: ["10.244.1.1", "10.244.2.9"]).ruleset
        let diff = Differ.diff(from: before, to: after)
        #expect(diff.render() == """
            delete element ip switchyard hairpin { 10.244.2.2 . 10.244.2.2 }
            delete element ip switchyard service-slots { 10.96.0.10 . tcp . 80 . 1 }
            add element ip switchyard hairpin { 10.244.2.9 . 10.244.2.9 }
            add element ip switchyard service-slots { 10.96.0.10 . tcp . 80 . 1 : 10.244.2.9 . 8080 }

            """)
    }

    @Test("transitions between clusters and dispatch models apply cleanly and reach the target", arguments: [
        (DispatchModel.random, DispatchModel.chains), (.chains, .random), (.random, .maglev), (.maglev, .sourcehash), (.chains, .roundrobin),
    ])
    func transitions(from: DispatchModel, to: DispatchModel) throws {
        let start = Self.threeServices(dispatch: from)
        var end = Self.threeServices(dispatch: to, webEndpoints: ["10.244.1.1", "10.244.2.2", "10.244.4.4"])
        end.services.removeAll { $0.name == "api" }
        var fake = try start.fake()
        try fake.apply(Differ.diff(from: start.ruleset, to: end.ruleset))
        #expect(fake.dump() == end.ruleset.listing())
        // And back.
        try fake.apply(Differ.diff(from: end.ruleset, to: start.ruleset))
        #expect(fake.dump() == start.ruleset.listing())
    }

    @Test("a new endpoint count adds its modulus set and rewrites only the services chain")
    func newModulus() throws {
        let before = Self.threeServices().ruleset
        let after = Self.threeServices(webEndpoints: ["10.244.1.1", "10.244.2.2", "10.244.3.9"]).ruleset
        let diff = Differ.diff(from: before, to: after)
        let chains = Swift.Set(diff.operations.compactMap { operation -> String? in
            if case .rule(let rule) = operation.object { return rule.chain }
            if case .chain(let chain) = operation.object { return chain.name }
            return nil
        })
        #expect(chains == ["services"])
        #expect(diff.render().contains("add set ip switchyard service-mod-3"))
    }

    @Test("removing a service in chains mode deletes its chain after the verdict-map element")
    func removeChainService() throws {
        let start = Self.threeServices(dispatch: .chains)
        var end = start
        end.services.removeAll { $0.name == "web" }
        let diff = Differ.diff(from: start.ruleset, to: end.ruleset)
        #expect(diff.render().contains("delete chain ip switchyard service-"))
        var fake = try start.fake()
        try fake.apply(diff)
        #expect(fake.dump() == end.ruleset.listing())
    }

    @Test("affinity timeout change recreates the dynamic sets and the chain that uses them")
    func affinityTimeout() throws {
        let start = Self.threeServices()
        var end = start
        if let index = end.services.firstIndex(where: { $0.name == "cart" }) { end.services[index].sessionAffinity = .clientIP(timeoutSeconds: 60) }
        var fake = try start.fake()
        try fake.apply(Differ.diff(from: start.ruleset, to: end.ruleset))
        #expect(fake.dump() == end.ruleset.listing())
    }
}

@Suite("Layout invariants")
struct LayoutInvariantTests {
    @Test("slot maps key on th dport: with tcp dport, nft's text path would silently restrict them to TCP")
    func slotMapsUseTransportHeader() {
        let ruleset = KernelAcceptanceTests.everyFeature(dispatch: .random).ruleset
        for table in ruleset.tables.values {
            for set in table.sets.values where set.definition.name.hasSuffix("-slots") {
                guard case .typeOf(let key) = set.definition.key, case .data(.typeOf(let data))? = set.definition.data else {
                    Issue.record("\(set.definition.name) is not a typeof map")
                    continue
                }
                #expect(!(key + data).contains(.payload(.tcpDport)), "\(set.definition.name)")
                #expect(key.contains(.payload(.thDport)) && data.contains(.payload(.thDport)), "\(set.definition.name)")
            }
        }
    }

    @Test("the fixed chains do not depend on the cluster: same skeleton for one service or a thousand")
    func fixedChains() {
        let small = KernelAcceptanceTests.generated(count: 3, dispatch: .random).ruleset
        let large = KernelAcceptanceTests.generated(count: 300, dispatch: .random).ruleset
        for table in small.tables.keys {
            let fixed = Swift.Set(Layout.baseChains.map(\.name) + [Layout.firewallChain, Layout.endpointsChain, Layout.rejectChain, Layout.masqueradingChain])
            for name in fixed {
                #expect(small.chain(table, name)?.rules == large.chain(table, name)?.rules, "\(table) \(name)")
            }
            // Only per-service chains for affinity services grow with the cluster, never one per endpoint.
            let perService = large.tables[table]?.chains.keys.filter { $0.hasPrefix("service-") || $0.hasPrefix("local-") } ?? []
            #expect(perService.count < 60, "\(perService.count)")
        }
    }
}
