/// `status.phase` of a Pod.
public enum PodPhase: String, Sendable, Hashable {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case unknown = "Unknown"
}

/// The slim copy of a Pod: what DNS needs for pod records and endpoint names.
public struct Pod: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var podIPs: [IPAddress]
    public var hostname: String?
    public var subdomain: String?
    public var nodeName: String?
    public var phase: PodPhase?

    public init(
        namespace: String, name: String, podIPs: [IPAddress] = [], hostname: String? = nil,
        subdomain: String? = nil, nodeName: String? = nil, phase: PodPhase? = nil
    ) {
        self.namespace = namespace
        self.name = name
        self.podIPs = podIPs
        self.hostname = hostname
        self.subdomain = subdomain
        self.nodeName = nodeName
        self.phase = phase
    }

    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name) }
}
