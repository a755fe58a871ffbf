/// `addressType` of an EndpointSlice.
public enum EndpointAddressType: String, Sendable, Hashable {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"
    /// Deprecated; proxies ignore such slices.
    case fqdn = "FQDN"

    public var family: IPFamily? {
        switch self {
        case .ipv4: .ipv4
        case .ipv6: .ipv6
        case .fqdn: nil
        }
    }
}

/// `endpoints[].conditions` as given; a missing value keeps the API's meaning through the `is…` views.
public struct EndpointConditions: Sendable, Hashable {
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?

    public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }

    /// "nil should be interpreted as ready".
    public var isReady: Bool { ready ?? true }
    /// "If nil, consumers should defer to the ready condition".
    public var isServing: Bool { serving ?? isReady }
    /// "nil should be interpreted as not terminating".
    public var isTerminating: Bool { terminating ?? false }
}

/// `endpoints[].targetRef`.
public struct ObjectReference: Sendable, Hashable {
    public var kind: String
    public var namespace: String
    public var name: String

    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }
}

/// `endpoints[].hints`.
public struct EndpointHints: Sendable, Hashable {
    public var forZones: [String]
    public var forNodes: [String]

    public init(forZones: [String] = [], forNodes: [String] = []) {
        self.forZones = forZones
        self.forNodes = forNodes
    }
}

/// One endpoint of an EndpointSlice.
public struct Endpoint: Sendable, Hashable {
    public var addresses: EndpointAddresses
    /// Right after `addresses`, in the bytes its inline address leaves before the next 8-byte
    /// boundary: 120 bytes an endpoint instead of 128, and a 100-endpoint slice's array in jemalloc's
    /// 12 KiB size class instead of its 14 KiB one (~20 MB at 10,000 Services × 100 endpoints).
    public var conditions: EndpointConditions
    public var nodeName: String?
    public var zone: String?
    public var targetRef: ObjectReference?
    /// `hostname` and `hints`, which few endpoints carry (a headless Service's named Pods, a Service
    /// asking for topology-aware routing), behind one reference: 24 bytes an endpoint fewer than with
    /// both inline. The store holds one per endpoint, a million at 10,000 Services × 100 endpoints.
    private var rarelySet: RarelySet?

    public var hostname: String? {
        get { rarelySet?.hostname }
        set { rarelySet = RarelySet(hostname: newValue, hints: hints) }
    }

    public var hints: EndpointHints? {
        get { rarelySet?.hints }
        set { rarelySet = RarelySet(hostname: hostname, hints: newValue) }
    }

    /// An endpoint's rarely set fields, compared by value.
    private final class RarelySet: Sendable, Hashable {
        let hostname: String?
        let hints: EndpointHints?

        /// Nil when neither is set: no allocation for the usual endpoint.
        init?(hostname: String?, hints: EndpointHints?) {
            if hostname == nil && hints == nil { return nil }
            self.hostname = hostname
            self.hints = hints
        }

        static func == (lhs: RarelySet, rhs: RarelySet) -> Bool {
            lhs.hostname == rhs.hostname && lhs.hints == rhs.hints
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(hostname)
            hasher.combine(hints)
        }
    }

    public init(
        addresses: [IPAddress], conditions: EndpointConditions = .init(), hostname: String? = nil,
        nodeName: String? = nil, zone: String? = nil, hints: EndpointHints? = nil,
        targetRef: ObjectReference? = nil
    ) {
        self.addresses = EndpointAddresses(addresses)
        self.conditions = conditions
        self.rarelySet = RarelySet(hostname: hostname, hints: hints)
        self.nodeName = nodeName
        self.zone = zone
        self.targetRef = targetRef
    }
}

/// One entry of an EndpointSlice's `ports`. `port` nil means "all ports" (unusable by a proxy).
public struct EndpointPort: Sendable, Hashable {
    public var name: String
    public var `protocol`: TransportProtocol
    public var port: Int?
    public var appProtocol: String?

    public init(name: String = "", protocol: TransportProtocol = .tcp, port: Int?, appProtocol: String? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.appProtocol = appProtocol
    }
}

/// The slim copy of an EndpointSlice.
public struct EndpointSlice: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var labels: [String: String]
    public var addressType: EndpointAddressType
    public var endpoints: [Endpoint]
    public var ports: [EndpointPort]
    /// The `endpoints.kubernetes.io/last-change-trigger-time` annotation, seconds since 1970.
    public var lastChangeTriggerTime: Double?

    public init(
        namespace: String, name: String, labels: [String: String] = [:], addressType: EndpointAddressType = .ipv4,
        endpoints: [Endpoint] = [], ports: [EndpointPort] = [], lastChangeTriggerTime: Double? = nil
    ) {
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
        self.lastChangeTriggerTime = lastChangeTriggerTime
    }

    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name) }

    /// The Service this slice belongs to (label `kubernetes.io/service-name`), in the same namespace.
    public var serviceKey: ObjectKey? {
        labels[WellKnownLabel.serviceName].map { ObjectKey(namespace: namespace, name: $0) }
    }
}
