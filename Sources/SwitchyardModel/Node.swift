/// `status.addresses[].type` of a Node.
public enum NodeAddressType: String, Sendable, Hashable {
    case internalIP = "InternalIP"
    case externalIP = "ExternalIP"
    case hostname = "Hostname"
    case internalDNS = "InternalDNS"
    case externalDNS = "ExternalDNS"
}

/// One `status.addresses` entry; `address` is text because Hostname entries are not IPs.
public struct NodeAddress: Sendable, Hashable {
    public var type: NodeAddressType
    public var address: String

    public init(type: NodeAddressType, address: String) {
        self.type = type
        self.address = address
    }
}

/// The slim copy of a Node: its labels (zone) and addresses (NodePort frontends).
public struct Node: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var addresses: [NodeAddress]
    /// `spec.podCIDRs`.
    public var podCIDRs: [CIDR]

    public init(name: String, labels: [String: String] = [:], addresses: [NodeAddress] = [], podCIDRs: [CIDR] = []) {
        self.name = name
        self.labels = labels
        self.addresses = addresses
        self.podCIDRs = podCIDRs
    }

    public var key: ObjectKey { ObjectKey(namespace: "", name: name) }

    /// `topology.kubernetes.io/zone`.
    public var zone: String? { labels[WellKnownLabel.topologyZone] }

    /// The node's primary IPs: the first InternalIP of each family (ExternalIP when there is none), as
    /// kubelet's `GetNodeHostIPs` picks them.
    public var primaryIPs: [IPAddress] {
        var result: [IPAddress] = []
        for family in IPFamily.allCases {
            let pick = [NodeAddressType.internalIP, .externalIP].lazy.compactMap { type in
                self.addresses.lazy.filter { $0.type == type }.compactMap { IPAddress($0.address) }
                    .first { $0.family == family }
            }.first
            if let pick { result.append(pick) }
        }
        return result
    }
}
