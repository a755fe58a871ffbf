/// The kinds of objects Switchyard follows.
public enum ResourceKind: String, Sendable, Hashable, CaseIterable {
    case namespace = "Namespace"
    case service = "Service"
    case endpointSlice = "EndpointSlice"
    case pod = "Pod"
    case node = "Node"
    case serviceCIDR = "ServiceCIDR"
}

/// Any object Switchyard follows, as its slim model value.
public enum ClusterObject: Sendable, Hashable {
    case namespace(Namespace)
    case service(Service)
    case endpointSlice(EndpointSlice)
    case pod(Pod)
    case node(Node)
    case serviceCIDR(ServiceCIDR)

    public var kind: ResourceKind {
        switch self {
        case .namespace: .namespace
        case .service: .service
        case .endpointSlice: .endpointSlice
        case .pod: .pod
        case .node: .node
        case .serviceCIDR: .serviceCIDR
        }
    }

    /// `namespace/name`; cluster-scoped objects (Namespace, Node, ServiceCIDR) have an empty namespace.
    public var key: ObjectKey {
        switch self {
        case .namespace(let o): o.key
        case .service(let o): o.key
        case .endpointSlice(let o): o.key
        case .pod(let o): o.key
        case .node(let o): o.key
        case .serviceCIDR(let o): o.key
        }
    }
}

/// What a source reports: an object appeared, changed, or went away. A deletion names the object
/// by kind and key only, so a source need not keep the objects it delivered (the store has them).
public enum ClusterEvent: Sendable, Hashable {
    case added(ClusterObject)
    case updated(ClusterObject)
    case deleted(ResourceKind, ObjectKey)

    /// The deletion of `object`.
    public static func deleted(_ object: ClusterObject) -> ClusterEvent { .deleted(object.kind, object.key) }

    /// The object an addition or update carries; nil for a deletion.
    public var object: ClusterObject? {
        switch self {
        case .added(let o), .updated(let o): o
        case .deleted: nil
        }
    }

    public var kind: ResourceKind {
        switch self {
        case .added(let o), .updated(let o): o.kind
        case .deleted(let kind, _): kind
        }
    }

    public var key: ObjectKey {
        switch self {
        case .added(let o), .updated(let o): o.key
        case .deleted(_, let key): key
        }
    }
}
