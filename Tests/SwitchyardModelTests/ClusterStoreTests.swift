import Testing
import SwitchyardModel

@Suite("ClusterStore net-change tracking")
struct ClusterStoreTests {
    static let web = Service(
        namespace: "default", name: "web", clusterIPs: [IPAddress("10.96.0.20")!],
        ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080))]
    )

    static func slice(_ name: String, service: String = "web", ips: [String]) -> EndpointSlice {
        EndpointSlice(
            namespace: "default", name: name, labels: [WellKnownLabel.serviceName: service],
            endpoints: ips.map { Endpoint(addresses: [IPAddress($0)!]) },
            ports: [EndpointPort(name: "http", port: 8080)]
        )
    }

    @Test("adding a service and its slice marks the service and its endpoints dirty")
    func addMarksDirty() {
        var store = ClusterStore()
        store.apply([.added(.service(Self.web)), .added(.endpointSlice(Self.slice("web-a", ips: ["10.244.0.5"])))])
        let changes = store.takeChanges()
        #expect(changes.services == [Self.web.key])
        #expect(changes.endpoints == [Self.web.key])
        #expect(store.snapshot.endpointSlices(of: Self.web.key).map(\.name) == ["web-a"])
        #expect(store.takeChanges().isEmpty, "changes are handed out once")
    }

    @Test("a change that returns to the original state is no change")
    func revertIsNoChange() {
        var store = ClusterStore()
        store.apply([.added(.service(Self.web)), .added(.endpointSlice(Self.slice("web-a", ips: ["10.244.0.5"])))])
        _ = store.takeChanges()
        var changed = Self.web
        changed.ports[0].port = 81
        store.apply(.updated(.service(changed)))
        store.apply(.updated(.endpointSlice(Self.slice("web-a", ips: ["10.244.0.6"]))))
        store.apply(.updated(.service(Self.web)))
        store.apply(.updated(.endpointSlice(Self.slice("web-a", ips: ["10.244.0.5"]))))
        #expect(store.takeChanges().isEmpty)
    }

    @Test("added then deleted within one period is no change")
    func addThenDelete() {
        var store = ClusterStore()
        let slice = Self.slice("web-a", ips: ["10.244.0.5"])
        store.apply([.added(.service(Self.web)), .added(.endpointSlice(slice))])
        store.apply([.deleted(.endpointSlice(slice)), .deleted(.service(Self.web))])
        #expect(store.takeChanges().isEmpty)
        #expect(store.snapshot.services.isEmpty)
        #expect(store.snapshot.endpointSlicesByService.isEmpty)
    }

    @Test("only the touched service is reported")
    func onlyTouched() {
        var store = ClusterStore()
        var api = Self.web
        api.name = "api"
        store.apply([
            .added(.service(Self.web)), .added(.service(api)),
            .added(.endpointSlice(Self.slice("web-a", ips: ["10.244.0.5"]))),
            .added(.endpointSlice(Self.slice("api-a", service: "api", ips: ["10.244.0.9"]))),
        ])
        _ = store.takeChanges()
        store.apply(.updated(.endpointSlice(Self.slice("api-a", service: "api", ips: ["10.244.0.10"]))))
        let changes = store.takeChanges()
        #expect(changes.services.isEmpty)
        #expect(changes.endpoints == [api.key])
    }

    @Test("a slice whose service label changes moves between services and dirties both")
    func sliceMoves() {
        var store = ClusterStore()
        store.apply(.added(.endpointSlice(Self.slice("s1", service: "web", ips: ["10.244.0.5"]))))
        _ = store.takeChanges()
        store.apply(.updated(.endpointSlice(Self.slice("s1", service: "api", ips: ["10.244.0.5"]))))
        let changes = store.takeChanges()
        #expect(changes.endpoints == [ObjectKey(namespace: "default", name: "web"), ObjectKey(namespace: "default", name: "api")])
        #expect(store.snapshot.endpointSlices(of: ObjectKey(namespace: "default", name: "web")).isEmpty)
        #expect(store.snapshot.endpointSlices(of: ObjectKey(namespace: "default", name: "api")).count == 1)
    }

    @Test("a snapshot does not change when the store does")
    func snapshotIsStable() {
        var store = ClusterStore()
        store.apply(.added(.service(Self.web)))
        let before = store.snapshot
        store.apply(.deleted(.service(Self.web)))
        #expect(before.services[Self.web.key] == Self.web)
        #expect(store.snapshot.services[Self.web.key] == nil)
        #expect(store.snapshot.generation == before.generation + 1)
    }

    @Test("re-applying an identical object changes nothing, not even the generation")
    func idempotentUpsert() {
        var store = ClusterStore()
        store.apply(.added(.service(Self.web)))
        _ = store.takeChanges()
        let generation = store.snapshot.generation
        store.apply(.updated(.service(Self.web)))
        #expect(store.takeChanges().isEmpty)
        #expect(store.snapshot.generation == generation)
    }

    @Test("nodes, namespaces and pods are tracked by net change too")
    func otherKinds() {
        var store = ClusterStore()
        let node = Node(name: "node-1", labels: [WellKnownLabel.topologyZone: "zone-a"])
        let pod = Pod(namespace: "default", name: "web-0", podIPs: [IPAddress("10.244.0.5")!])
        store.apply([.added(.node(node)), .added(.namespace(Namespace(name: "default"))), .added(.pod(pod))])
        let changes = store.takeChanges()
        #expect(changes.nodes == ["node-1"])
        #expect(changes.namespaces == ["default"])
        #expect(changes.pods == [pod.key])
        #expect(store.snapshot.nodes["node-1"]?.zone == "zone-a")
        #expect(store.snapshot.object(.pod, pod.key) == .pod(pod))
    }

    @Test("slices without a service label are kept but joined to nothing")
    func unownedSlice() {
        var store = ClusterStore()
        var slice = Self.slice("orphan", ips: ["10.244.0.5"])
        slice.labels = [:]
        store.apply(.added(.endpointSlice(slice)))
        #expect(store.snapshot.endpointSlicesByService.isEmpty)
        #expect(store.snapshot.endpointSlice(slice.key) == slice)
        store.apply(.deleted(.endpointSlice(slice)))
        #expect(store.snapshot.endpointSlice(slice.key) == nil)
    }
}

@Suite("Model semantics")
struct ModelSemanticsTests {
    @Test("endpoint conditions: nil ready is ready, nil serving defers to ready, nil terminating is false",
          arguments: zip(
            [EndpointConditions(), .init(ready: false), .init(ready: false, serving: true, terminating: true), .init(ready: true, serving: nil, terminating: nil)],
            [(true, true, false), (false, false, false), (false, true, true), (true, true, false)]
          ))
    func conditions(_ conditions: EndpointConditions, expected: (Bool, Bool, Bool)) {
        #expect(conditions.isReady == expected.0)
        #expect(conditions.isServing == expected.1)
        #expect(conditions.isTerminating == expected.2)
    }

    @Test("primary node IPs: first InternalIP per family, ExternalIP as fallback")
    func primaryIPs() {
        let node = Node(name: "n", addresses: [
            NodeAddress(type: .hostname, address: "n"),
            NodeAddress(type: .externalIP, address: "203.0.113.5"),
            NodeAddress(type: .internalIP, address: "192.168.50.10"),
            NodeAddress(type: .internalIP, address: "192.168.50.11"),
            NodeAddress(type: .externalIP, address: "2001:db8::5"),
        ])
        #expect(node.primaryIPs.map(\.description) == ["192.168.50.10", "2001:db8::5"])
    }

    @Test("which services are proxied")
    func proxied() {
        let ip = [IPAddress("10.96.0.1")!]
        #expect(Service(namespace: "a", name: "b", clusterIPs: ip).isProxied)
        #expect(!Service(namespace: "a", name: "b", isHeadless: true).isProxied)
        #expect(!Service(namespace: "a", name: "b", type: .externalName, externalName: "x.example.com").isProxied)
        #expect(!Service(namespace: "a", name: "b", labels: [WellKnownLabel.serviceProxyName: "other"], clusterIPs: ip).isProxied)
    }

    @Test("service port names print as kube-proxy does")
    func portName() {
        let key = ObjectKey(namespace: "ns1", name: "svc1")
        #expect(ServicePortName(service: key, port: "p80", protocol: .tcp).description == "ns1/svc1:p80")
        #expect(ServicePortName(service: key, port: "", protocol: .udp).description == "ns1/svc1")
    }
}
