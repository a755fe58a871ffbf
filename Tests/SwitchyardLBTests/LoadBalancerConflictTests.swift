import SwitchyardLB
import SwitchyardModel
import Testing

@Suite("Two Services claiming one load-balancer IP and port: the older keeps it (issue 15, item 8)")
struct LoadBalancerConflictTests {
    static let vip = IPAddress("203.0.113.10")!

    static func service(_ name: String, created: Double?, port: Int = 80, clusterIP: String) -> Service {
        Service(namespace: "default", name: name, type: .loadBalancer, clusterIPs: [IPAddress(clusterIP)!],
                ports: [ServicePort(name: "http", port: port, nodePort: 0)],
                loadBalancerIngress: [LoadBalancerIngress(ip: vip)], creationTimestamp: created)
    }

    static let config = ProxyConfig(nodeName: "node-1")

    static func holders(_ snapshot: ClusterSnapshot) -> [String] {
        Planner.plan(snapshot: snapshot, config: config).services.flatMap { key, plans in
            plans.contains { $0.loadBalancerIPs.contains(vip) } ? [key.name] : []
        }.sorted()
    }

    @Test("the older Service holds the IP and port whatever the order they arrive in; the other lists it as shadowed")
    func olderWins() {
        let older = Self.service("older", created: 1_700_000_000, clusterIP: "10.96.0.1")
        let newer = Self.service("newer", created: 1_700_000_500, clusterIP: "10.96.0.2")
        for order in [[older, newer], [newer, older]] {
            var store = ClusterStore()
            store.apply(order.map { ClusterEvent.added(.service($0)) })
            #expect(Self.holders(store.snapshot) == ["older"])
            let plan = Planner.plan(snapshot: store.snapshot, config: Self.config)
            #expect(plan.services[newer.key]?.first?.shadowedLoadBalancerIPs == [Self.vip])
        }
    }

    @Test("without creation times the first by namespace/name wins; a Service with a time precedes one without")
    func ties() {
        var store = ClusterStore()
        store.apply([.added(.service(Self.service("b", created: nil, clusterIP: "10.96.0.1"))),
                     .added(.service(Self.service("a", created: nil, clusterIP: "10.96.0.2")))])
        #expect(Self.holders(store.snapshot) == ["a"])
        store.apply(.added(.service(Self.service("c", created: 5, clusterIP: "10.96.0.3"))))
        #expect(Self.holders(store.snapshot) == ["c"])
    }

    @Test("another port on the same IP is no conflict")
    func otherPort() {
        var store = ClusterStore()
        store.apply([.added(.service(Self.service("web", created: 1, port: 80, clusterIP: "10.96.0.1"))),
                     .added(.service(Self.service("tls", created: 2, port: 443, clusterIP: "10.96.0.2")))])
        #expect(Self.holders(store.snapshot) == ["tls", "web"])
    }

    @Test("when the holder goes, an incremental re-plan gives the IP to the other (it is marked as a claimant)")
    func holderDeleted() {
        let older = Self.service("older", created: 1, clusterIP: "10.96.0.1")
        let newer = Self.service("newer", created: 2, clusterIP: "10.96.0.2")
        var store = ClusterStore()
        store.apply([.added(.service(older)), .added(.service(newer))])
        _ = store.takeChanges()
        store.apply(.deleted(.service(older)))
        let changes = store.takeChanges()
        #expect(changes.claimants == [newer.key])
        let update = Planner.plan(changes: changes, snapshot: store.snapshot, config: Self.config)
        #expect(update.services[newer.key]?.first?.loadBalancerIPs == [Self.vip])
        #expect(update.services[older.key] == [])
    }
}

@Suite("ServiceCIDR objects give the ClusterIP ranges (issue 15, item 7)")
struct ServiceCIDRPlanTests {
    @Test("the node context holds --service-cidr and the ServiceCIDR objects, nested ranges folded; a change re-plans everything")
    func ranges() {
        var config = ProxyConfig(nodeName: "node-1")
        config.serviceCIDRs = [CIDR("10.96.0.0/12")!]
        var store = ClusterStore()
        store.apply([.added(.serviceCIDR(ServiceCIDR(name: "kubernetes", cidrs: [CIDR("10.96.0.0/16")!, CIDR("fd00:96::/108")!]))),
                     .added(.serviceCIDR(ServiceCIDR(name: "extra", cidrs: [CIDR("10.200.0.0/16")!])))])
        let plan = Planner.plan(snapshot: store.snapshot, config: config)
        #expect(plan.node.serviceCIDRs == [CIDR("10.96.0.0/12")!, CIDR("10.200.0.0/16")!, CIDR("fd00:96::/108")!])
        _ = store.takeChanges()
        store.apply(.deleted(.serviceCIDR(ServiceCIDR(name: "extra", cidrs: []))))
        let changes = store.takeChanges()
        #expect(changes.serviceCIDRs == ["extra"])
        let update = Planner.plan(changes: changes, snapshot: store.snapshot, config: config)
        #expect(update.isFull)
        #expect(update.node.serviceCIDRs == [CIDR("10.96.0.0/12")!, CIDR("fd00:96::/108")!])
    }
}
