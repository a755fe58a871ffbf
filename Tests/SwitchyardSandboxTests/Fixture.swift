import SwitchyardModel

/// A small cluster in code: node-1 with two web pods, a dual-stack api pod, a DNS pod (UDP), a
/// gateway pod on node-2, a manual endpoint outside the cluster, and a LoadBalancer with source ranges.
enum Fixture {
    static func ip(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { fatalError("bad fixture address \(text)") }
        return address
    }

    static func pod(_ name: String, _ ips: [String], node: String = "node-1") -> Pod {
        Pod(namespace: "default", name: name, podIPs: ips.map(ip), nodeName: node, phase: .running)
    }

    static func slice(
        _ name: String, service: String, type: EndpointAddressType = .ipv4, ips: [String], ports: [EndpointPort]
    ) -> EndpointSlice {
        EndpointSlice(
            namespace: "default", name: name, labels: [WellKnownLabel.serviceName: service], addressType: type,
            endpoints: ips.map { Endpoint(addresses: [ip($0)]) }, ports: ports
        )
    }

    static let pods = [
        pod("web-a", ["10.244.0.10"]),
        pod("web-b", ["10.244.0.11"]),
        pod("api-a", ["10.244.0.60", "fd00:10:244::3c"]),
        pod("dns-a", ["10.244.0.2"]),
        pod("gateway-remote", ["10.244.1.40"], node: "node-2"),
    ]

    static let slices = [
        slice("web-1", service: "web", ips: ["10.244.0.10", "10.244.0.11"], ports: [EndpointPort(name: "http", port: 8080)]),
        slice("api-v4", service: "api", ips: ["10.244.0.60"], ports: [EndpointPort(name: "http", port: 8080)]),
        slice("api-v6", service: "api", type: .ipv6, ips: ["fd00:10:244::3c"], ports: [EndpointPort(name: "http", port: 8080)]),
        slice("dns-1", service: "dns", ips: ["10.244.0.2"], ports: [
            EndpointPort(name: "dns", protocol: .udp, port: 53), EndpointPort(name: "dns-tcp", protocol: .tcp, port: 53),
        ]),
        slice("gateway-1", service: "gateway", ips: ["10.244.1.40"], ports: [EndpointPort(name: "http", port: 8080)]),
        slice("legacy-1", service: "legacy", ips: ["192.168.50.100", "192.168.50.101"], ports: [EndpointPort(name: "mysql", port: 3306)]),
        slice("kubernetes", service: "kubernetes", ips: ["192.168.50.10"], ports: [EndpointPort(name: "https", port: 6443)]),
    ]

    static let node = Node(
        name: "node-1", addresses: [NodeAddress(type: .internalIP, address: "192.168.50.10")],
        podCIDRs: [CIDR("10.244.0.0/24"), CIDR("fd00:10:244::/64")].compactMap { $0 }
    )

    static let gateway = Service(
        namespace: "default", name: "gateway", type: .loadBalancer, clusterIPs: [ip("10.96.0.40")],
        ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080), nodePort: 30081)],
        loadBalancerIngress: [LoadBalancerIngress(ip: ip("192.168.50.240"))],
        loadBalancerSourceRanges: [CIDR("203.0.113.0/24"), CIDR("198.51.100.0/24")].compactMap { $0 }
    )

    static var snapshot: ClusterSnapshot {
        var store = ClusterStore()
        store.apply(.added(.node(node)))
        store.apply(.added(.service(gateway)))
        store.apply(pods.map { .added(.pod($0)) })
        store.apply(slices.map { .added(.endpointSlice($0)) })
        return store.snapshot
    }
}
