import Testing
import SwitchyardLB
import SwitchyardModel

@Suite("Stale UDP flows after a plan change")
struct StaleFlowsTests {
    static let config = ProxyConfig(nodeName: "node-1")
    static let node = Node(name: "node-1", addresses: [NodeAddress(type: .internalIP, address: "192.168.50.10")])

    static func service(_ proto: TransportProtocol, nodePort: Int = 0) -> Service {
        Service(namespace: "kube-system", name: "kube-dns", type: nodePort == 0 ? .clusterIP : .nodePort,
                clusterIPs: [IPAddress("10.96.0.10")!],
                ports: [ServicePort(name: "dns", protocol: proto, port: 53, nodePort: nodePort)])
    }

    static func slice(_ proto: TransportProtocol, _ ips: [String]) -> EndpointSlice {
        EndpointSlice(namespace: "kube-system", name: "kube-dns-a", labels: [WellKnownLabel.serviceName: "kube-dns"],
                      endpoints: ips.map { Endpoint(addresses: [IPAddress($0)!]) },
                      ports: [EndpointPort(name: "dns", protocol: proto, port: 53)])
    }

    static func plan(_ proto: TransportProtocol, _ ips: [String], nodePort: Int = 0) -> ServicePortPlan? {
        Planner.plan(service: service(proto, nodePort: nodePort), slices: [slice(proto, ips)], config: config, node: node).first
    }

    @Test("a removed UDP endpoint leaves the flows it answered, at every frontend")
    func removedEndpoint() {
        let flows = StaleFlows.between(old: Self.plan(.udp, ["10.244.0.2", "10.244.0.3"], nodePort: 30053),
                                       new: Self.plan(.udp, ["10.244.0.3"], nodePort: 30053),
                                       nodePortAddresses: [IPAddress("192.168.50.10")!])
        #expect(flows.map(\.description) == ["udp 10.96.0.10:53 ← 10.244.0.2", "udp 192.168.50.10:30053 ← 10.244.0.2"])
    }

    @Test("a UDP service that gets its first endpoint drops the untranslated flows to its frontends")
    func firstEndpoint() {
        let flows = StaleFlows.between(old: Self.plan(.udp, []), new: Self.plan(.udp, ["10.244.0.2"]), nodePortAddresses: [])
        #expect(flows.map(\.description) == ["udp 10.96.0.10:53 ← 10.96.0.10"])
    }

    @Test("a deleted UDP service leaves every endpoint's flows stale")
    func deletedService() {
        let flows = StaleFlows.between(old: Self.plan(.udp, ["10.244.0.2"]), new: nil, nodePortAddresses: [])
        #expect(flows.map(\.description) == ["udp 10.96.0.10:53 ← 10.244.0.2"])
    }

    @Test("TCP and unchanged UDP leave nothing")
    func nothing() {
        #expect(StaleFlows.between(old: Self.plan(.tcp, ["10.244.0.2"]), new: Self.plan(.tcp, []), nodePortAddresses: []).isEmpty)
        #expect(StaleFlows.between(old: Self.plan(.udp, ["10.244.0.2"]), new: Self.plan(.udp, ["10.244.0.2"]), nodePortAddresses: []).isEmpty)
    }
}
