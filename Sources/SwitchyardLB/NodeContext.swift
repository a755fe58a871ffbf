import SwitchyardModel

/// What the planner knows about the node it runs on, resolved once per sync from ``ProxyConfig`` and
/// the Node object of ``ProxyConfig/nodeName`` (which may be missing: then no zone and no primary IPs).
public struct NodeContext: Sendable, Hashable {
    /// This node's name (local endpoints have it as `nodeName`).
    public var name: String
    /// `topology.kubernetes.io/zone` of the Node object, for zone hints.
    public var zone: String?
    /// The Node object's primary IPs, one per family at most.
    public var primaryIPs: [IPAddress]
    /// The addresses that accept NodePort traffic, resolved from `--nodeport-addresses`; sorted,
    /// without duplicates, without loopback unless a configured prefix asked for it.
    public var nodePortAddresses: [IPAddress]
    /// The ClusterIP ranges: `--service-cidr` and the cluster's ServiceCIDR objects, sorted, without
    /// duplicates. Traffic to an address inside that no Service holds is dropped.
    public var serviceCIDRs: [CIDR]
    /// This node's `spec.podCIDRs` (the pod sources with ``LocalTrafficDetection/nodeCIDR``).
    public var podCIDRs: [CIDR]
    /// The ClusterIPs answered by this node's DNS (``ProxyConfig/localDNS``'s Service), sorted.
    public var localDNSAddresses: [IPAddress]

    public init(name: String, zone: String? = nil, primaryIPs: [IPAddress] = [], nodePortAddresses: [IPAddress] = [],
                serviceCIDRs: [CIDR] = [], localDNSAddresses: [IPAddress] = [], podCIDRs: [CIDR] = []) {
        self.localDNSAddresses = localDNSAddresses
        self.podCIDRs = podCIDRs
        self.name = name
        self.zone = zone
        self.primaryIPs = primaryIPs
        self.nodePortAddresses = nodePortAddresses
        self.serviceCIDRs = serviceCIDRs
    }

    /// Resolves the context from the configuration and this node's Node object (nil when unknown).
    public init(config: ProxyConfig, node: Node?, serviceCIDRs: [CIDR] = [], localDNSAddresses: [IPAddress] = []) {
        let primary = node?.primaryIPs ?? []
        self.init(
            name: config.nodeName, zone: node?.zone, primaryIPs: primary,
            nodePortAddresses: Self.resolve(config.nodePortAddresses, primaryIPs: primary, hostAddresses: config.hostAddresses),
            serviceCIDRs: Self.outermost(config.serviceCIDRs + serviceCIDRs),
            localDNSAddresses: config.localDNS == nil ? [] : localDNSAddresses.sorted(),
            podCIDRs: node?.podCIDRs ?? []
        )
    }

    /// Resolves the context from a snapshot: the Node named ``ProxyConfig/nodeName``, the
    /// ServiceCIDR objects and the node-local DNS Service's ClusterIPs.
    public init(config: ProxyConfig, snapshot: ClusterSnapshot) {
        self.init(config: config, node: snapshot.nodes[config.nodeName],
                  serviceCIDRs: snapshot.serviceCIDRs.isEmpty ? [] : snapshot.serviceCIDRs.values.flatMap(\.cidrs),
                  localDNSAddresses: config.localDNS.flatMap { snapshot.services[$0.service]?.clusterIPs } ?? [])
    }

    /// The node-local DNS ClusterIPs of one family.
    public func localDNSAddresses(of family: IPFamily) -> [IPAddress] {
        localDNSAddresses.filter { $0.family == family }
    }

    /// `ranges` sorted, without any range inside another (an interval set refuses overlaps; aligned
    /// prefixes either nest or are disjoint).
    static func outermost(_ ranges: [CIDR]) -> [CIDR] {
        let sorted = uniqueSorted(ranges)
        return sorted.filter { range in
            !sorted.contains { other in other != range && other.prefixLength <= range.prefixLength && other.contains(range.address) }
        }
    }

    /// The ClusterIP ranges of one family (one nft table).
    public func serviceCIDRs(of family: IPFamily) -> [CIDR] {
        serviceCIDRs.filter { $0.family == family }
    }

    /// NodePort addresses of one family (one nft table).
    public func nodePortAddresses(of family: IPFamily) -> [IPAddress] {
        nodePortAddresses.filter { $0.family == family }
    }

    /// Primary IPs of one family.
    public func primaryIPs(of family: IPFamily) -> [IPAddress] {
        primaryIPs.filter { $0.family == family }
    }

    /// The pure resolution of `--nodeport-addresses`.
    public static func resolve(
        _ policy: NodePortAddresses, primaryIPs: [IPAddress], hostAddresses: [IPAddress]
    ) -> [IPAddress] {
        let chosen: [IPAddress]
        switch policy {
        case .primary:
            chosen = primaryIPs.filter { !$0.isLoopback }
        case .cidrs(let cidrs):
            chosen = hostAddresses.filter { address in
                cidrs.contains { cidr in
                    cidr.contains(address) && (!address.isLoopback || cidr.isInsideLoopback)
                }
            }
        }
        return Array(Set(chosen)).sorted()
    }
}

extension CIDR {
    /// Whether every address of the prefix is a loopback address (127.0.0.0/8 or narrower, ::1/128).
    var isInsideLoopback: Bool {
        switch family {
        case .ipv4: prefixLength >= 8 && address.isLoopback
        case .ipv6: prefixLength == 128 && address.isLoopback
        }
    }
}
