import SwitchyardLB
import SwitchyardModel
@testable import SwitchyardRules
import Testing

/// The restore inputs of iptables mode (issue 17, item 2).
@Suite("iptables mode restores")
struct IptablesRestoreTests {
    static func world() -> World {
        var world = World()
        world.add(service("web", clusterIP: "10.96.0.10"), endpoints: [endpoint("10.244.1.1"), endpoint("10.244.1.2")])
        world.add(service("api", clusterIP: "10.96.0.20"), endpoints: [endpoint("10.244.2.1")])
        return world
    }

    static func render(_ plans: [ServicePortPlan], _ world: World) -> String {
        IptablesRenderer.render(plans.filter { $0.family == .ipv4 }, family: .ipv4, node: world.context, config: world.config)
    }

    static func perService(_ text: String, _ table: String = "nat") -> Set<String> {
        (IptablesRestore.chains(in: text)[table] ?? []).filter(IptablesRestore.isPerService)
    }

    @Test("a partial restore rewrites the changed Service's chains and every fixed chain, and leaves the others alone")
    func partial() {
        let world = Self.world()
        let full = Self.render(world.plans, world)
        let webChains = Self.perService(Self.render(world.plans.filter { $0.name.service.name == "web" }, world))
        let apiChains = Self.perService(full).subtracting(webChains)
        #expect(!webChains.isEmpty && !apiChains.isEmpty)
        let text = IptablesRestore.partial(full, changed: webChains, existing: IptablesRestore.chains(in: full))
        #expect(Self.perService(text) == webChains, "only web's chains are declared (declaring flushes)")
        #expect(text.contains("default/api:http cluster IP"), "KUBE-SERVICES is written whole")
        #expect(!apiChains.contains { text.contains("-A \($0) ") }, "api's chains are not touched")
        #expect(!text.contains("-X "), "nothing stale")
    }

    @Test("a Service gone: its chains are deleted after the fixed chains stop jumping to them")
    func removal() {
        var world = Self.world()
        let before = IptablesRestore.chains(in: Self.render(world.plans, world))
        world.services.removeAll { $0.name == "api" }
        let full = Self.render(world.plans, world)
        let text = IptablesRestore.partial(full, changed: [], existing: before)
        let deleted = Set(text.split(separator: "\n").filter { $0.hasPrefix("-X ") }.map { String($0.dropFirst(3)) })
        #expect(deleted == (before["nat"] ?? []).filter(IptablesRestore.isPerService).subtracting(Self.perService(full)))
        #expect(!deleted.isEmpty)
        #expect(!text.contains("default/api:http"))
    }
}
