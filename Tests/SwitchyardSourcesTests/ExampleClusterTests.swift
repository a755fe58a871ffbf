import SwitchyardModel
import SwitchyardSources
import Testing

@Suite("examples/cluster loads with the expected objects and feeds a ClusterStore")
struct ExampleClusterTests {
    let objects: [ClusterObject]

    init() throws {
        objects = try ManifestLoader().load(paths: [Fixture.example("cluster")])
    }

    @Test("counts")
    func counts() {
        #expect(objects.namespaces.map(\.name) == ["default", "kube-system"])
        #expect(objects.nodes.map(\.name) == ["node-1"])
        #expect(objects.services.count == 10)
        #expect(objects.slices.count == 10)
        #expect(objects.pods.count == 17)
        #expect(objects.slices.reduce(0) { $0 + $1.endpoints.count } == 22)
    }

    @Test("summary as switchyard validate prints it")
    func summary() {
        #expect(ClusterSummary(objects).description == """
            namespaces: 2 (default, kube-system)
            services: 10 (ClusterIP 7, NodePort 1, LoadBalancer 1, ExternalName 1; headless 1)
            endpoint slices: 10 (IPv4 9, IPv6 1)
            endpoints: 22 (ready 21, serving 22, terminating 1)
            pods: 17 (Running 17)
            nodes: 1 (node-1)
            """)
    }

    @Test("the services the other modules rely on")
    func services() throws {
        let dns = try objects.service("kube-dns")
        #expect(dns.namespace == "kube-system")
        #expect(dns.clusterIPs == [ip("10.96.0.10")])
        #expect(dns.ports.map { "\($0.name) \($0.port)/\($0.protocol.rawValue)" } == ["dns 53/UDP", "dns-tcp 53/TCP", "metrics 9153/TCP"])

        let gateway = try objects.service("gateway")
        #expect(gateway.type == .loadBalancer && gateway.externalTrafficPolicy == .local && gateway.healthCheckNodePort == 32000)
        #expect(gateway.loadBalancerIngress == [LoadBalancerIngress(ip: ip("192.168.50.240"), ipMode: .vip)])
        #expect(gateway.loadBalancerSourceRanges == [cidr("203.0.113.0/24"), cidr("198.51.100.0/24")])

        let api = try objects.service("api")
        #expect(api.clusterIPs == [ip("10.96.0.70"), ip("fd00:10:96::70")] && api.ipFamilies == [.ipv4, .ipv6])
        #expect(try objects.service("cart").sessionAffinity == .clientIP(timeoutSeconds: 1800))
        #expect(try objects.service("cart").ports.first?.targetPort == .name("http"))
        #expect(try objects.service("db").isHeadless)
        #expect(try objects.service("search").externalName == "search.example.com")
        #expect(try objects.service("shop").ports.first?.nodePort == 30080)

        let web = try objects.slice("web-4mfd2")
        #expect(web.endpoints.filter(\.conditions.isReady).count == 3)
        #expect(web.endpoints.filter(\.conditions.isTerminating).map(\.addresses) == [[ip("10.244.0.13")]])
        #expect(web.lastChangeTriggerTime == 1_795_593_641, "2026-11-25T08:00:41Z")
        let db = try objects.slice("db-x7k2m")
        #expect(db.endpoints.map(\.hostname) == ["db-0", "db-1"])
        #expect(db.endpoints.map(\.targetRef?.name) == ["db-0", "db-1"])
        #expect(objects.pods.first { $0.name == "db-0" }.map { ($0.hostname, $0.subdomain) } ?? (nil, nil) == ("db-0", "db"))
        #expect(objects.nodes.first?.primaryIPs == [ip("192.168.50.10")] && objects.nodes.first?.zone == "zone-a")
    }

    @Test("a ClusterStore fed from the loader joins slices to their Services")
    func store() throws {
        var store = ClusterStore()
        store.apply(objects.map(ClusterEvent.added))
        let snapshot = store.snapshot
        #expect(snapshot.services.count == 10)
        #expect(snapshot.pods.count == 17)
        #expect(snapshot.nodes.count == 1 && snapshot.namespaces.count == 2)
        #expect(snapshot.endpointSlices(of: ObjectKey(namespace: "default", name: "api")).map(\.addressType) == [.ipv4, .ipv6])
        #expect(snapshot.endpointSlices(of: ObjectKey(namespace: "kube-system", name: "kube-dns")).first?.endpoints.count == 2)
        #expect(snapshot.endpointSlices(of: ObjectKey(namespace: "default", name: "legacy")).map(\.name) == ["legacy-1"])
        #expect(snapshot.unownedEndpointSlices.isEmpty)
        #expect(Set(snapshot.allObjects) == Set(objects))
        let changes = store.takeChanges()
        #expect(changes.services.count == 10)
    }
}
