import SwitchyardModel

extension SandboxConfiguration {
    /// A sandbox shaped like `nodeName` (default: the first node by name) in `snapshot`: its InternalIPs
    /// on the LAN, one namespace per pod with IPs, echo servers on the EndpointSlice ports of each
    /// endpoint address (pods, the node itself, or other hosts), one client source address inside each
    /// `loadBalancerSourceRanges` prefix, and client routes to LoadBalancer ingress and external IPs.
    public init(snapshot: ClusterSnapshot, tag: String, nodeName: String? = nil) {
        let node = nodeName.flatMap { snapshot.nodes[$0] } ?? snapshot.nodes.values.sorted { $0.name < $1.name }.first
        let services = snapshot.services.values.sorted { $0.key < $1.key }
        self.init(
            pods: snapshot.pods.values.sorted { $0.key < $1.key }, endpointSlices: snapshot.allEndpointSlices,
            tag: tag, nodeName: nodeName ?? node?.name ?? "node-1", nodeIPs: node?.primaryIPs ?? []
        )
        extraClientAddresses = Self.sampleSources(in: services.flatMap(\.loadBalancerSourceRanges))
        let frontends = services.flatMap { $0.loadBalancerIngress.compactMap(\.ip) + $0.externalIPs }
        clientRoutes = Array(Set(frontends)).sorted().map { CIDR(host: $0) }
    }

    /// A sandbox for `pods`, with echo-server ports taken from `endpointSlices` (pods that no slice
    /// names get no server). `nodeIPs` replaces the default node address of its family; the client
    /// gets address .100 (::100) on the same prefix.
    public init(pods: [Pod], endpointSlices: [EndpointSlice] = [], tag: String, nodeName: String = "node-1", nodeIPs: [IPAddress] = []) {
        var nodeAddresses = Self.defaultNodeAddresses
        var clientAddresses = Self.defaultClientAddresses
        for ip in nodeIPs {
            guard let index = nodeAddresses.firstIndex(where: { $0.family == ip.family }) else { continue }
            nodeAddresses[index].address = ip
            clientAddresses[index].address = Self.clientAddress(beside: ip)
        }
        let nodeSet = Set(nodeAddresses.map(\.address))
        var sandboxPods: [SandboxPod] = []
        var podIndex: [IPAddress: Int] = [:]
        for pod in pods {
            let addresses = pod.podIPs.filter { !nodeSet.contains($0) && podIndex[$0] == nil }
            guard !addresses.isEmpty else { continue }
            for address in addresses { podIndex[address] = sandboxPods.count }
            sandboxPods.append(SandboxPod(key: pod.key, addresses: addresses, isLocal: pod.nodeName == nodeName))
        }
        var nodePorts = SandboxPorts()
        var hosts: [IPAddress: SandboxHost] = [:]
        for slice in endpointSlices {
            let ports = slice.ports.compactMap { port in port.port.map { ($0, port.protocol) } }
            for endpoint in slice.endpoints {
                for address in endpoint.addresses {
                    for (port, proto) in ports {
                        if let index = podIndex[address] {
                            sandboxPods[index].ports.add(port, proto)
                        } else if nodeSet.contains(address) {
                            nodePorts.add(port, proto)
                        } else {
                            let name = endpoint.targetRef.flatMap { $0.kind == "Pod" ? nil : $0.name } ?? "host-\(address)"
                            hosts[address, default: SandboxHost(name: name, address: address, ports: SandboxPorts())].ports.add(port, proto)
                        }
                    }
                }
            }
        }
        self.init(
            tag: tag, nodeName: nodeName, nodeAddresses: nodeAddresses, clientAddresses: clientAddresses,
            pods: sandboxPods, hosts: hosts.values.sorted { $0.address < $1.address }, nodePorts: nodePorts
        )
    }

    /// The client's address next to the node's: host part 100 (or 200 when the node has 100).
    static func clientAddress(beside node: IPAddress) -> IPAddress {
        switch node {
        case .v4(let a):
            let host: UInt32 = a.value & 0xff == 100 ? 200 : 100
            return .v4(IPv4Address(a.value & 0xffff_ff00 | host))
        case .v6(let a):
            let host: UInt64 = a.low == 0x100 ? 0x200 : 0x100
            return .v6(IPv6Address(high: a.high, low: host))
        }
    }

    /// One address inside each prefix (the network address + 10, or + 1 for tiny prefixes).
    static func sampleSources(in ranges: [CIDR]) -> [IPAddress] {
        let picks = ranges.map { range -> IPAddress in
            switch range.address {
            case .v4(let a):
                let offset: UInt32 = range.prefixLength <= 28 ? 10 : (range.prefixLength < 32 ? 1 : 0)
                return .v4(IPv4Address(a.value + offset))
            case .v6(let a):
                let offset: UInt64 = range.prefixLength <= 124 ? 10 : (range.prefixLength < 128 ? 1 : 0)
                return .v6(IPv6Address(high: a.high, low: a.low + offset))
            }
        }
        return Array(Set(picks)).sorted()
    }
}
