import HashTreeCollections

/// A consistent, immutable view of the cluster. Copying one is O(1): the maps are persistent hash
/// trees that share structure with the store they came from, so taking a snapshot per sync and then
/// applying one more event costs O(log n), not O(cluster).
public struct ClusterSnapshot: Sendable {
    public internal(set) var namespaces: TreeDictionary<String, Namespace> = [:]
    public internal(set) var services: TreeDictionary<ObjectKey, Service> = [:]
    /// EndpointSlices joined to their Service (label `kubernetes.io/service-name`), by slice name.
    public internal(set) var endpointSlicesByService: TreeDictionary<ObjectKey, [String: EndpointSlice]> = [:]
    /// Which Service owns each joined slice, so a slice can be found (and moved) by its own key.
    public internal(set) var endpointSliceOwners: TreeDictionary<ObjectKey, ObjectKey> = [:]
    /// Slices without a service-name label: kept so deletes find them, used by nobody.
    public internal(set) var unownedEndpointSlices: TreeDictionary<ObjectKey, EndpointSlice> = [:]
    public internal(set) var pods: TreeDictionary<ObjectKey, Pod> = [:]
    public internal(set) var nodes: TreeDictionary<String, Node> = [:]
    /// ServiceCIDR objects by name (the API's ClusterIP ranges).
    public internal(set) var serviceCIDRs: TreeDictionary<String, ServiceCIDR> = [:]
    /// The Services claiming each load-balancer IP (``Service/loadBalancerIPs``): two claiming the
    /// same IP and port are resolved by ``Service/precedes(_:)``, and a change to one re-plans the others.
    public internal(set) var loadBalancerClaims: TreeDictionary<IPAddress, Set<ObjectKey>> = [:]
    /// Counts applied events that changed something; DNS uses it as the SOA serial.
    public internal(set) var generation: UInt64 = 0

    public init() {}

    /// The slices of one Service, sorted by name for deterministic output.
    public func endpointSlices(of service: ObjectKey) -> [EndpointSlice] {
        guard let slices = endpointSlicesByService[service] else { return [] }
        return slices.values.sorted { $0.name < $1.name }
    }

    /// Every EndpointSlice, owned or not, sorted by namespace and name.
    public var allEndpointSlices: [EndpointSlice] {
        (endpointSlicesByService.values.flatMap(\.values) + unownedEndpointSlices.values).sorted { $0.key < $1.key }
    }

    /// Looks an object up by kind and key.
    public func object(_ kind: ResourceKind, _ key: ObjectKey) -> ClusterObject? {
        switch kind {
        case .namespace: namespaces[key.name].map(ClusterObject.namespace)
        case .service: services[key].map(ClusterObject.service)
        case .endpointSlice: endpointSlice(key).map(ClusterObject.endpointSlice)
        case .pod: pods[key].map(ClusterObject.pod)
        case .node: nodes[key.name].map(ClusterObject.node)
        case .serviceCIDR: serviceCIDRs[key.name].map(ClusterObject.serviceCIDR)
        }
    }

    /// Every object, in a deterministic order (kind, then key).
    public var allObjects: [ClusterObject] {
        namespaces.values.sorted { $0.name < $1.name }.map(ClusterObject.namespace)
            + services.values.sorted { $0.key < $1.key }.map(ClusterObject.service)
            + allEndpointSlices.map(ClusterObject.endpointSlice)
            + pods.values.sorted { $0.key < $1.key }.map(ClusterObject.pod)
            + nodes.values.sorted { $0.name < $1.name }.map(ClusterObject.node)
            + serviceCIDRs.values.sorted { $0.name < $1.name }.map(ClusterObject.serviceCIDR)
    }

    /// Looks a slice up by its own key.
    public func endpointSlice(_ key: ObjectKey) -> EndpointSlice? {
        if let owner = endpointSliceOwners[key] { return endpointSlicesByService[owner]?[key.name] }
        return unownedEndpointSlices[key]
    }
}
