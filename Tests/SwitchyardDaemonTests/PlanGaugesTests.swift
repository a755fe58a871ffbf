import SwitchyardDaemon
import SwitchyardLB
import SwitchyardModel
import Testing

@Suite("Plan gauges")
struct PlanGaugesTests {
    @Test("kept Service by Service, they equal the whole plan's: service ports, and ports without a local endpoint")
    func keptPerService() throws {
        var store = ClusterStore()
        store.apply(try Fixtures.objects(endpoints: [1, 2], externalLocal: true).map(ClusterEvent.added))
        // The endpoints run on node-a: from node-b the Local external policy finds none.
        let plan = Planner.plan(snapshot: store.snapshot, config: ProxyConfig(nodeName: "node-b"))
        let whole = PlanGauges(plan)
        #expect(whole.servicePorts == plan.servicePorts.count)
        #expect(whole.noLocalExternal == 2, "dns and web: externalTrafficPolicy Local, endpoints elsewhere")
        #expect(whole.noLocalInternal == 0)
        var kept = PlanGauges()
        for ports in plan.services.values { kept.replace([], with: ports) }
        #expect(kept == whole)
        for ports in plan.services.values { kept.replace(ports, with: []) }
        #expect(kept == PlanGauges())
        #expect(PlanGauges(Planner.plan(snapshot: store.snapshot, config: ProxyConfig(nodeName: "node-a"))).noLocalExternal == 0)
    }
}
