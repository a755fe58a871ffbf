import SwitchyardLB
import SwitchyardModel
import Testing

@Suite("Planner: whole cluster and incremental")
struct PlannerTests {
    typealias F = Fixture

    private func store(services: Int) -> ClusterStore {
        var store = ClusterStore()
        store.apply(.added(.node(F.node)))
        for index in 0..<services {
            let name = "svc\(index)"
            store.apply(.added(.service(F.service(name, clusterIPs: ["10.96.1.\(index)"]))))
            store.apply(.added(.endpointSlice(F.slice("\(name)-1", service: name, endpoints: [
                F.endpoint("10.244.\(index).1"), F.endpoint("10.244.\(index).2", node: F.nodeName),
            ]))))
        }
        store.apply(.added(.service(F.service("headless", clusterIPs: []) { $0.isHeadless = true })))
        return store
    }

    @Test("a full plan covers every proxied service, in deterministic order")
    func full() {
        let cluster = Planner.plan(snapshot: store(services: 5).snapshot, config: F.config)
        #expect(cluster.services.count == 5)
        #expect(cluster.servicePorts.map(\.name.service.name) == ["svc0", "svc1", "svc2", "svc3", "svc4"])
        #expect(cluster.node.zone == "zone-1")
        #expect(cluster.servicePorts.allSatisfy { $0.cluster.count == 2 && $0.local.count == 1 })
    }

    @Test("an endpoint change re-plans only that service")
    func incrementalEndpoints() {
        var store = store(services: 20)
        _ = store.takeChanges()
        var before = Planner.plan(snapshot: store.snapshot, config: F.config)
        store.apply(.updated(.endpointSlice(F.slice("svc7-1", service: "svc7", endpoints: [F.endpoint("10.244.7.9")]))))
        let update = Planner.plan(changes: store.takeChanges(), snapshot: store.snapshot, config: F.config)
        #expect(!update.isFull)
        #expect(Array(update.services.keys) == [ObjectKey(namespace: "ns", name: "svc7")])
        #expect(update.services.values.first?.first.map { F.addresses($0.cluster) } == ["10.244.7.9:8080"])
        before.apply(update)
        #expect(before == Planner.plan(snapshot: store.snapshot, config: F.config))
    }

    @Test("a removed service maps to an empty list and leaves the cluster plan")
    func incrementalRemoval() {
        var store = store(services: 3)
        _ = store.takeChanges()
        var plan = Planner.plan(snapshot: store.snapshot, config: F.config)
        store.apply(.deleted(.service(F.service("svc1"))))
        let update = Planner.plan(changes: store.takeChanges(), snapshot: store.snapshot, config: F.config)
        #expect(update.services == [ObjectKey(namespace: "ns", name: "svc1"): []])
        plan.apply(update)
        #expect(plan.services.keys.sorted().map(\.name) == ["svc0", "svc2"])
    }

    @Test("a change to this node's Node object re-plans everything")
    func nodeChange() {
        var store = store(services: 3)
        _ = store.takeChanges()
        var node = F.node
        node.labels[WellKnownLabel.topologyZone] = "zone-2"
        store.apply(.updated(.node(node)))
        let update = Planner.plan(changes: store.takeChanges(), snapshot: store.snapshot, config: F.config)
        #expect(update.isFull)
        #expect(update.services.count == 3)
        #expect(update.node.zone == "zone-2")
    }

    @Test("another node's change re-plans nothing")
    func otherNodeChange() {
        var store = store(services: 3)
        _ = store.takeChanges()
        store.apply(.added(.node(Node(name: "node-z"))))
        let update = Planner.plan(changes: store.takeChanges(), snapshot: store.snapshot, config: F.config)
        #expect(!update.isFull)
        #expect(update.services.isEmpty)
    }
}
