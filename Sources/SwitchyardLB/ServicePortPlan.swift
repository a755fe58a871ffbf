import SwitchyardModel

/// Everything a rules compiler needs for one port of one proxied Service in one IP family (one nft
/// table): its frontends, its policies and its endpoint sets with their dispatch tables.
///
/// Equal plans compile to equal rules, so a differ can compare old and new plans per service.
///
/// Which endpoint set serves which traffic:
/// - ClusterIP traffic → ``internal`` (``cluster`` when `internalTrafficPolicy` is Cluster, ``local``
///   when Local).
/// - NodePort, externalIP and load-balancer traffic → ``external`` (``cluster`` or ``local`` by
///   `externalTrafficPolicy`). With policy Local, kube-proxy short-circuits sources that are pods
///   (inside the cluster CIDRs) or this node itself to ``cluster`` instead, masquerading the node's own.
public struct ServicePortPlan: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `namespace/name:port` plus protocol.
    public var name: ServicePortName
    /// The family of every address in this plan.
    public var family: IPFamily
    /// The service port number (the frontend port of ClusterIP, externalIPs and LB IPs).
    public var port: Int
    /// The ClusterIP of ``family``.
    public var clusterIP: IPAddress
    /// NodePort on ``NodeContext/nodePortAddresses``; 0 when none.
    public var nodePort: Int
    /// `spec.externalIPs` of ``family``, sorted, unique.
    public var externalIPs: [IPAddress]
    /// `status.loadBalancer.ingress[].ip` of ``family`` whose `ipMode` is not `Proxy`, sorted, unique.
    /// Load-balancer IPs of this Service left out because an older Service claims the same IP and
    /// port (``Service/precedes(_:)``); empty almost always.
    public var shadowedLoadBalancerIPs: [IPAddress] = []
    /// How new flows pick an endpoint when the Service's `switchyard.dev/dispatch` says so; nil:
    /// `--dispatch`'s model.
    public var dispatch: DispatchModel?
    /// A `switchyard.dev/dispatch` value that names no model (``dispatch`` is then `--dispatch`'s).
    public var ignoredDispatchAnnotation: String?
    public var loadBalancerIPs: [IPAddress]
    /// Sources allowed to reach ``loadBalancerIPs`` when ``restrictsLoadBalancerSources``: the
    /// `loadBalancerSourceRanges` of ``family``, plus each LB IP as a host prefix when a range contains
    /// one of this node's primary IPs (as kube-proxy does, for hairpin through the load balancer).
    public var loadBalancerSourceRanges: [CIDR]
    /// The Service lists `loadBalancerSourceRanges` (of any family) and has LB IPs in this family:
    /// traffic to the LB IPs from sources outside ``loadBalancerSourceRanges`` is dropped. (With ranges
    /// only of the other family that means all of this family's traffic, unlike kube-proxy, which then
    /// filters nothing.)
    public var restrictsLoadBalancerSources: Bool
    /// ClientIP session affinity timeout in seconds; nil without affinity.
    public var sessionAffinityTimeout: Int?
    /// Chooses ``internal``: Local means ClusterIP traffic only goes to ``local``.
    public var internalTrafficPolicy: TrafficPolicy
    /// Chooses ``external``: Local means external traffic only goes to ``local`` and keeps its source IP.
    public var externalTrafficPolicy: TrafficPolicy
    /// Cluster-policy endpoints: ready ones (topology-filtered), or, when none is ready anywhere,
    /// serving and terminating ones. Empty only when there is no usable endpoint anywhere (→ reject).
    public var cluster: EndpointSet
    /// Local-policy endpoints: this node's ready ones, else its serving and terminating ones. Empty
    /// means reject when none exist anywhere, drop otherwise.
    public var local: EndpointSet
    /// Whether any usable (ready, or serving and terminating) endpoint exists anywhere.
    public var hasEndpoints: Bool
    /// `spec.healthCheckNodePort` of a LoadBalancer Service with `externalTrafficPolicy: Local`; 0 otherwise
    /// (kube-proxy serves none for other Services, whatever the field says).
    public var healthCheckNodePort: Int
    /// Distinct addresses of this node's ready endpoints (what the health-check node port reports).
    public var localEndpointCount: Int

    public init(
        name: ServicePortName, family: IPFamily, port: Int, clusterIP: IPAddress, nodePort: Int = 0,
        externalIPs: [IPAddress] = [], loadBalancerIPs: [IPAddress] = [], loadBalancerSourceRanges: [CIDR] = [],
        restrictsLoadBalancerSources: Bool = false, sessionAffinityTimeout: Int? = nil,
        internalTrafficPolicy: TrafficPolicy = .cluster, externalTrafficPolicy: TrafficPolicy = .cluster,
        cluster: EndpointSet, local: EndpointSet, hasEndpoints: Bool, healthCheckNodePort: Int = 0,
        localEndpointCount: Int = 0
    ) {
        self.name = name
        self.family = family
        self.port = port
        self.clusterIP = clusterIP
        self.nodePort = nodePort
        self.externalIPs = externalIPs
        self.loadBalancerIPs = loadBalancerIPs
        self.loadBalancerSourceRanges = loadBalancerSourceRanges
        self.restrictsLoadBalancerSources = restrictsLoadBalancerSources
        self.sessionAffinityTimeout = sessionAffinityTimeout
        self.internalTrafficPolicy = internalTrafficPolicy
        self.externalTrafficPolicy = externalTrafficPolicy
        self.cluster = cluster
        self.local = local
        self.hasEndpoints = hasEndpoints
        self.healthCheckNodePort = healthCheckNodePort
        self.localEndpointCount = localEndpointCount
    }

    /// The L4 protocol (from ``name``).
    public var `protocol`: TransportProtocol { name.protocol }

    /// The set ClusterIP traffic is spread over.
    public var `internal`: EndpointSet { internalTrafficPolicy == .local ? local : cluster }

    /// The set NodePort, externalIP and LB traffic is spread over (see the type's note on short-circuits).
    /// Unused when the port is not ``isExternallyAccessible``.
    public var external: EndpointSet { externalTrafficPolicy == .local ? local : cluster }

    /// Whether the port has any frontend besides the ClusterIP.
    public var isExternallyAccessible: Bool {
        nodePort != 0 || !externalIPs.isEmpty || !loadBalancerIPs.isEmpty
    }

    /// Whether the external entry short-circuits pod and node-local sources to ``cluster`` (ETP Local).
    public var shortCircuitsLocalSources: Bool { externalTrafficPolicy == .local && isExternallyAccessible }

    /// Every endpoint some traffic of this plan can reach (union of ``cluster`` and ``local`` as used).
    public var reachableEndpoints: [EndpointAddress] { reachableEndpoints { _ in true } }

    /// The reachable endpoints that pass `include`, sorted; filters before it dedupes, so a caller
    /// that wants a few of many (the compiler's hairpin pairs: this node's) pays for those few.
    public func reachableEndpoints(where include: (EndpointAddress) -> Bool) -> [EndpointAddress] {
        var used: [EndpointAddress] = []
        if internalTrafficPolicy == .cluster || isExternallyAccessible { used += cluster.endpoints.filter(include) }
        if internalTrafficPolicy == .local || (externalTrafficPolicy == .local && isExternallyAccessible) {
            used += local.endpoints.filter(include)
        }
        return used.count > 1 ? Array(Set(used)).sorted() : used
    }

    /// `ns/name:port` and family, e.g. `ns1/svc1:p80 (IPv4)`.
    public var description: String { "\(name) (\(family.rawValue))" }

    /// By service port name, then family.
    public static func < (lhs: ServicePortPlan, rhs: ServicePortPlan) -> Bool {
        if lhs.name != rhs.name { return lhs.name < rhs.name }
        return lhs.family < rhs.family
    }
}
