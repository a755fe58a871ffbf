import HashTreeCollections

/// What changed since the last `takeChanges()`, as net changes: an object that was changed and then
/// changed back (or added and then deleted) is not listed.
public struct ClusterChanges: Sendable, Hashable {
    /// Services whose Service object differs.
    public var services: Set<ObjectKey> = []
    /// Services whose joined EndpointSlices differ.
    public var endpoints: Set<ObjectKey> = []
    /// Services sharing a load-balancer IP with a changed Service: which of them holds a contested
    /// IP and port may have changed.
    public var claimants: Set<ObjectKey> = []
    public var nodes: Set<String> = []
    public var namespaces: Set<String> = []
    public var pods: Set<ObjectKey> = []
    /// ServiceCIDR objects added, changed or deleted (they change every plan's node context).
    public var serviceCIDRs: Set<String> = []

    public init() {}

    /// Services to re-plan: the Service or its endpoints changed, or a Service sharing a
    /// load-balancer IP with it did.
    public var dirtyServices: Set<ObjectKey> { claimants.isEmpty ? services.union(endpoints) : services.union(endpoints).union(claimants) }

    public var isEmpty: Bool {
        services.isEmpty && endpoints.isEmpty && nodes.isEmpty && namespaces.isEmpty && pods.isEmpty && claimants.isEmpty
            && serviceCIDRs.isEmpty
    }
}

/// The current cluster objects plus net-change tracking. A value type with one owner (the task that
/// applies events); readers take `snapshot`, which is O(1) to copy and never changes under them.
///
/// Change tracking keeps, per key, the state before its first change since the last `takeChanges()`;
/// `takeChanges()` compares that with the state now, so only net differences are reported.
public struct ClusterStore: Sendable {
    public private(set) var snapshot = ClusterSnapshot()

    private var servicesBefore: [ObjectKey: Service?] = [:]
    private var endpointsBefore: [ObjectKey: [String: EndpointSlice]] = [:]
    private var nodesBefore: [String: Node?] = [:]
    private var namespacesBefore: [String: Namespace?] = [:]
    private var podsBefore: [ObjectKey: Pod?] = [:]
    private var claimants: Set<ObjectKey> = []
    private var serviceCIDRsBefore: [String: ServiceCIDR?] = [:]

    public init() {}

    /// Applies one event. Added and updated both mean "the object is now this"; deleted removes by key.
    public mutating func apply(_ event: ClusterEvent) {
        switch event {
        case .added(let object), .updated(let object):
            upsert(object)
        case .deleted(let kind, let key):
            remove(kind, key)
        }
    }

    /// Applies events in order.
    public mutating func apply(_ events: some Sequence<ClusterEvent>) {
        for event in events { apply(event) }
    }

    /// Returns the net changes since the previous call and starts tracking afresh.
    public mutating func takeChanges() -> ClusterChanges {
        var changes = ClusterChanges()
        for (key, before) in servicesBefore where before != snapshot.services[key] {
            changes.services.insert(key)
        }
        for (key, before) in endpointsBefore where before != (snapshot.endpointSlicesByService[key] ?? [:]) {
            changes.endpoints.insert(key)
        }
        for (key, before) in nodesBefore where before != snapshot.nodes[key] { changes.nodes.insert(key) }
        for (key, before) in namespacesBefore where before != snapshot.namespaces[key] {
            changes.namespaces.insert(key)
        }
        for (key, before) in podsBefore where before != snapshot.pods[key] { changes.pods.insert(key) }
        changes.claimants = claimants
        claimants = []
        for (name, before) in serviceCIDRsBefore where before != snapshot.serviceCIDRs[name] { changes.serviceCIDRs.insert(name) }
        serviceCIDRsBefore = [:]
        servicesBefore = [:]
        endpointsBefore = [:]
        nodesBefore = [:]
        namespacesBefore = [:]
        podsBefore = [:]
        return changes
    }

    // MARK: - Applying

    private mutating func upsert(_ object: ClusterObject) {
        switch object {
        case .namespace(let namespace):
            guard snapshot.namespaces[namespace.name] != namespace else { return }
            remember(namespace: namespace.name)
            snapshot.namespaces[namespace.name] = namespace
        case .service(let service):
            let old = snapshot.services[service.key]
            guard old != service else { return }
            remember(service: service.key)
            snapshot.services[service.key] = service
            updateClaims(service.key, old: old?.loadBalancerIPs ?? [], new: service.loadBalancerIPs)
        case .endpointSlice(let slice):
            if let owner = slice.serviceKey, snapshot.endpointSliceOwners[slice.key] == owner {
                // The same owner (an endpoint change): replaced in place, not detached and attached
                // again (two path copies of the owners map saved per update).
                guard snapshot.endpointSlicesByService[owner]?[slice.name] != slice else { return }
                remember(endpointsOf: owner)
                snapshot.endpointSlicesByService[owner]?[slice.name] = slice
                break
            }
            guard snapshot.endpointSlice(slice.key) != slice else { return }
            removeEndpointSlice(slice.key)
            if let owner = slice.serviceKey {
                remember(endpointsOf: owner)
                snapshot.endpointSlicesByService[owner, default: [:]][slice.name] = slice
                snapshot.endpointSliceOwners[slice.key] = owner
            } else {
                snapshot.unownedEndpointSlices[slice.key] = slice
            }
        case .pod(let pod):
            guard snapshot.pods[pod.key] != pod else { return }
            remember(pod: pod.key)
            snapshot.pods[pod.key] = pod
        case .node(let node):
            guard snapshot.nodes[node.name] != node else { return }
            remember(node: node.name)
            snapshot.nodes[node.name] = node
        case .serviceCIDR(let range):
            guard snapshot.serviceCIDRs[range.name] != range else { return }
            if serviceCIDRsBefore.index(forKey: range.name) == nil { serviceCIDRsBefore[range.name] = .some(snapshot.serviceCIDRs[range.name]) }
            snapshot.serviceCIDRs[range.name] = range
        }
        snapshot.generation &+= 1
    }

    private mutating func remove(_ kind: ResourceKind, _ key: ObjectKey) {
        switch kind {
        case .namespace:
            guard snapshot.namespaces[key.name] != nil else { return }
            remember(namespace: key.name)
            snapshot.namespaces[key.name] = nil
        case .service:
            guard let old = snapshot.services[key] else { return }
            remember(service: key)
            snapshot.services[key] = nil
            updateClaims(key, old: old.loadBalancerIPs, new: [])
        case .endpointSlice:
            guard snapshot.endpointSlice(key) != nil else { return }
            removeEndpointSlice(key)
        case .pod:
            guard snapshot.pods[key] != nil else { return }
            remember(pod: key)
            snapshot.pods[key] = nil
        case .node:
            guard snapshot.nodes[key.name] != nil else { return }
            remember(node: key.name)
            snapshot.nodes[key.name] = nil
        case .serviceCIDR:
            guard snapshot.serviceCIDRs[key.name] != nil else { return }
            if serviceCIDRsBefore.index(forKey: key.name) == nil { serviceCIDRsBefore[key.name] = .some(snapshot.serviceCIDRs[key.name]) }
            snapshot.serviceCIDRs[key.name] = nil
        }
        snapshot.generation &+= 1
    }

    /// Detaches a slice from wherever it is (its owner may change when its label does).
    private mutating func removeEndpointSlice(_ key: ObjectKey) {
        if let owner = snapshot.endpointSliceOwners[key] {
            remember(endpointsOf: owner)
            snapshot.endpointSliceOwners[key] = nil
            snapshot.endpointSlicesByService[owner]?[key.name] = nil
            if snapshot.endpointSlicesByService[owner]?.isEmpty == true {
                snapshot.endpointSlicesByService[owner] = nil
            }
        } else {
            snapshot.unownedEndpointSlices[key] = nil
        }
    }

    // MARK: - Remembering the state before the first change

    /// Moves `key`'s load-balancer IP claims from `old` to `new`, and marks every other claimant of
    /// those IPs for re-planning. O(claimants of those IPs), nothing for Services without LB IPs.
    private mutating func updateClaims(_ key: ObjectKey, old: [IPAddress], new: [IPAddress]) {
        guard !old.isEmpty || !new.isEmpty else { return }
        for ip in old where !new.contains(ip) {
            snapshot.loadBalancerClaims[ip]?.remove(key)
            if snapshot.loadBalancerClaims[ip]?.isEmpty == true { snapshot.loadBalancerClaims[ip] = nil }
        }
        for ip in new { snapshot.loadBalancerClaims[ip, default: []].insert(key) }
        for ip in Set(old + new) {
            for other in snapshot.loadBalancerClaims[ip] ?? [] where other != key { claimants.insert(other) }
        }
    }

    private mutating func remember(service key: ObjectKey) {
        if servicesBefore.index(forKey: key) == nil { servicesBefore[key] = .some(snapshot.services[key]) }
    }

    private mutating func remember(endpointsOf key: ObjectKey) {
        if endpointsBefore[key] == nil { endpointsBefore[key] = snapshot.endpointSlicesByService[key] ?? [:] }
    }

    private mutating func remember(node name: String) {
        if nodesBefore.index(forKey: name) == nil { nodesBefore[name] = .some(snapshot.nodes[name]) }
    }

    private mutating func remember(namespace name: String) {
        if namespacesBefore.index(forKey: name) == nil { namespacesBefore[name] = .some(snapshot.namespaces[name]) }
    }

    private mutating func remember(pod key: ObjectKey) {
        if podsBefore.index(forKey: key) == nil { podsBefore[key] = .some(snapshot.pods[key]) }
    }
}
