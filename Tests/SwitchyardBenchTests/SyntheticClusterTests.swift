import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardRules
@testable import SwitchyardBench

@Suite("Synthetic cluster")
struct SyntheticClusterTests {
    @Test("the same shape and seed give the same objects, event for event", arguments: [1, 50, 300])
    func deterministic(services: Int) {
        let shape = ClusterShape(services: services, endpointsPerService: 4, seed: 42)
        #expect(SyntheticCluster(shape).events == SyntheticCluster(shape).events)
        #expect(SyntheticCluster(shape).events.count == 1 + 2 * services)
    }

    @Test("another seed gives another cluster; Service i does not depend on the cluster size")
    func seedAndIndex() {
        let a = SyntheticCluster(ClusterShape(services: 200, endpointsPerService: 3, seed: 1))
        let b = SyntheticCluster(ClusterShape(services: 200, endpointsPerService: 3, seed: 2))
        #expect(a.events != b.events)
        let small = SyntheticCluster(ClusterShape(services: 20, endpointsPerService: 3, seed: 1))
        #expect(small.services[7] == a.services[7])
    }

    @Test("a realistic mix: mostly ClusterIP TCP, some NodePort with distinct ports, some UDP")
    func mix() {
        let cluster = SyntheticCluster(ClusterShape(services: 1000, endpointsPerService: 2))
        let services = cluster.indices.compactMap { cluster.services[$0] }
        let udp = services.filter { $0.ports.first?.protocol == .udp }.count
        let nodePorts = services.compactMap { $0.ports.first?.nodePort }.filter { $0 != 0 }
        #expect((50...150).contains(udp))
        #expect((100...200).contains(nodePorts.count))
        #expect(Set(nodePorts).count == nodePorts.count)
        #expect(services.filter { $0.type == .clusterIP }.count > 700)
        #expect(Set(services.flatMap(\.clusterIPs)).count == 1000)
    }

    @Test("every Service plans to one port with all its endpoints")
    func plans() {
        let shape = ClusterShape(services: 100, endpointsPerService: 5)
        let cluster = SyntheticCluster(shape)
        let plan = Planner.plan(snapshot: cluster.store.snapshot, config: SyntheticCluster.config())
        #expect(plan.servicePorts.count == 100)
        #expect(plan.servicePorts.allSatisfy { $0.cluster.count == 5 })
    }

    @Test("mutations produce the events of one endpoint replaced, one Service added, one removed")
    func mutations() {
        var cluster = SyntheticCluster(ClusterShape(services: 30, endpointsPerService: 3))
        var store = cluster.store
        let replaced = cluster.replaceEndpoint(round: 0)
        store.apply(replaced)
        #expect(store.takeChanges().dirtyServices.count == 1)
        store.apply(cluster.addService())
        #expect(store.snapshot.services.count == 31)
        _ = store.takeChanges()
        store.apply(cluster.removeService(round: 0))
        #expect(store.snapshot.services.count == 30)
        #expect(store.takeChanges().dirtyServices.count == 1)
    }
}
