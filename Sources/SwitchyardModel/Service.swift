/// `spec.type` of a Service.
public enum ServiceType: String, Sendable, Hashable, CaseIterable {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
    case loadBalancer = "LoadBalancer"
    case externalName = "ExternalName"
}

/// `externalTrafficPolicy` / `internalTrafficPolicy`.
public enum TrafficPolicy: String, Sendable, Hashable, CaseIterable {
    case cluster = "Cluster"
    case local = "Local"
}

/// `spec.trafficDistribution`. `PreferClose` is the older spelling of `PreferSameZone`.
public enum TrafficDistribution: String, Sendable, Hashable, CaseIterable {
    case preferClose = "PreferClose"
    case preferSameZone = "PreferSameZone"
    case preferSameNode = "PreferSameNode"
}

/// `spec.sessionAffinity`, with the ClientIP timeout folded in.
public enum SessionAffinity: Sendable, Hashable {
    case none
    /// Same client address → same endpoint until `timeoutSeconds` of inactivity (API default 10800).
    case clientIP(timeoutSeconds: Int)

    public static let defaultClientIPTimeout = 10800
}

/// A port given by number or by the name of a container port (`targetPort`).
public enum PortReference: Sendable, Hashable, CustomStringConvertible {
    case number(Int)
    case name(String)

    public var description: String {
        switch self {
        case .number(let n): String(n)
        case .name(let s): s
        }
    }
}

/// One entry of `spec.ports`.
public struct ServicePort: Sendable, Hashable {
    public var name: String
    public var `protocol`: TransportProtocol
    public var port: Int
    public var targetPort: PortReference
    /// Zero when none is allocated.
    public var nodePort: Int
    public var appProtocol: String?

    public init(
        name: String = "", protocol: TransportProtocol = .tcp, port: Int,
        targetPort: PortReference? = nil, nodePort: Int = 0, appProtocol: String? = nil
    ) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort ?? .number(port)
        self.nodePort = nodePort
        self.appProtocol = appProtocol
    }
}

/// `status.loadBalancer.ingress[].ipMode` (KEP-1860). `proxy` means the LB does not deliver to the VIP.
public enum LoadBalancerIPMode: String, Sendable, Hashable {
    case vip = "VIP"
    case proxy = "Proxy"
}

/// One `status.loadBalancer.ingress` entry.
public struct LoadBalancerIngress: Sendable, Hashable {
    public var ip: IPAddress?
    public var hostname: String?
    public var ipMode: LoadBalancerIPMode?

    public init(ip: IPAddress? = nil, hostname: String? = nil, ipMode: LoadBalancerIPMode? = nil) {
        self.ip = ip
        self.hostname = hostname
        self.ipMode = ipMode
    }
}

/// The well-known labels the proxy and DNS read.
public enum WellKnownLabel {
    /// Services carrying it belong to another proxy and are not programmed.
    public static let serviceProxyName = "service.kubernetes.io/service-proxy-name"
    /// Set by the EndpointSlice controller on slices of headless Services.
    public static let headless = "service.kubernetes.io/headless"
    /// Links an EndpointSlice to its Service.
    public static let serviceName = "kubernetes.io/service-name"
    /// A Node's zone.
    public static let topologyZone = "topology.kubernetes.io/zone"
    /// The EndpointSlice annotation read for `network_programming_duration_seconds`.
    public static let lastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time"
}

/// The slim copy of a Service: only what the proxy and DNS need.
public struct Service: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var labels: [String: String]
    public var type: ServiceType
    /// `clusterIPs` (or `clusterIP`), primary first. Empty for headless and ExternalName Services.
    public var clusterIPs: [IPAddress]
    /// `clusterIP: None`.
    public var isHeadless: Bool
    public var ipFamilies: [IPFamily]
    public var ports: [ServicePort]
    public var externalIPs: [IPAddress]
    public var loadBalancerIngress: [LoadBalancerIngress]
    public var loadBalancerSourceRanges: [CIDR]
    public var sessionAffinity: SessionAffinity
    public var externalTrafficPolicy: TrafficPolicy
    public var internalTrafficPolicy: TrafficPolicy
    /// Zero when none is allocated.
    public var healthCheckNodePort: Int
    public var publishNotReadyAddresses: Bool
    public var trafficDistribution: TrafficDistribution?
    public var externalName: String?
    /// `metadata.creationTimestamp`, seconds since 1970 (nil in manifests without one): the older of
    /// two Services claiming the same load-balancer IP and port keeps it.
    public var creationTimestamp: Double?
    /// The annotation `switchyard.dev/dispatch` as written: the dispatch model for this Service's
    /// ports, overriding `--dispatch` (``dispatchModel``; an unknown value is reported and ignored).
    public var dispatchAnnotation: String?

    /// The annotation that picks a Service's dispatch model.
    public static let dispatchAnnotationKey = "switchyard.dev/dispatch"

    /// The model `dispatchAnnotation` names, nil when absent or unknown.
    public var dispatchModel: DispatchModel? { dispatchAnnotation.flatMap { DispatchModel(rawValue: $0.lowercased()) } }

    public init(
        namespace: String, name: String, labels: [String: String] = [:], type: ServiceType = .clusterIP,
        clusterIPs: [IPAddress] = [], isHeadless: Bool = false, ipFamilies: [IPFamily] = [],
        ports: [ServicePort] = [], externalIPs: [IPAddress] = [],
        loadBalancerIngress: [LoadBalancerIngress] = [], loadBalancerSourceRanges: [CIDR] = [],
        sessionAffinity: SessionAffinity = .none, externalTrafficPolicy: TrafficPolicy = .cluster,
        internalTrafficPolicy: TrafficPolicy = .cluster, healthCheckNodePort: Int = 0,
        publishNotReadyAddresses: Bool = false, trafficDistribution: TrafficDistribution? = nil,
        externalName: String? = nil, creationTimestamp: Double? = nil
    ) {
        self.creationTimestamp = creationTimestamp
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.type = type
        self.clusterIPs = clusterIPs
        self.isHeadless = isHeadless
        self.ipFamilies = ipFamilies.isEmpty ? Array(Set(clusterIPs.map(\.family))).sorted() : ipFamilies
        self.ports = ports
        self.externalIPs = externalIPs
        self.loadBalancerIngress = loadBalancerIngress
        self.loadBalancerSourceRanges = loadBalancerSourceRanges
        self.sessionAffinity = sessionAffinity
        self.externalTrafficPolicy = externalTrafficPolicy
        self.internalTrafficPolicy = internalTrafficPolicy
        self.healthCheckNodePort = healthCheckNodePort
        self.publishNotReadyAddresses = publishNotReadyAddresses
        self.trafficDistribution = trafficDistribution
        self.externalName = externalName
    }

    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name) }

    /// The load-balancer ingress IPs this Service claims (any family, `ipMode: Proxy` included: the
    /// claim is on the address, whoever delivers to it).
    public var loadBalancerIPs: [IPAddress] { loadBalancerIngress.compactMap(\.ip) }

    /// Whether this Service wins a load-balancer IP and port it shares with `other`, as Kubernetes
    /// resolves port conflicts: the older one (by creation time; one without a time counts as newer),
    /// then the first by namespace/name.
    public func precedes(_ other: Service) -> Bool {
        switch (creationTimestamp, other.creationTimestamp) {
        case let (a?, b?) where a != b: return a < b
        case (_?, nil): return true
        case (nil, _?): return false
        default: return key < other.key
        }
    }

    /// The `service.kubernetes.io/service-proxy-name` label, when a named proxy owns this Service.
    public var serviceProxyName: String? { labels[WellKnownLabel.serviceProxyName] }

    /// Whether the default proxy programs this Service: not headless, not ExternalName, no
    /// proxy-name label.
    public var isProxied: Bool { isProxied(by: nil) }

    /// Whether the proxy named `proxyName` (nil: the default one) programs this Service, as
    /// kube-proxy selects them: not headless, not ExternalName, a ClusterIP, and a
    /// `service.kubernetes.io/service-proxy-name` label equal to the name (absent for nil).
    public func isProxied(by proxyName: String?) -> Bool {
        !isHeadless && type != .externalName && serviceProxyName == proxyName && !clusterIPs.isEmpty
    }

    /// The ClusterIP of one family, if the Service has one.
    public func clusterIP(of family: IPFamily) -> IPAddress? {
        clusterIPs.first { $0.family == family }
    }

    /// The `ServicePortName` of one of this Service's ports.
    public func portName(_ port: ServicePort) -> ServicePortName {
        ServicePortName(service: key, port: port.name, protocol: port.protocol)
    }
}
