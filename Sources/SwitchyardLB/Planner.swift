import SwitchyardModel

/// Turns Services and their EndpointSlices into ``ServicePortPlan``s. Pure: same input, same output;
/// no I/O, no clock. Planning one Service costs O(its ports × its endpoints), whatever the cluster size.
public enum Planner {
    /// Plans one Service: one ``ServicePortPlan`` per (port, family with a ClusterIP), sorted; empty
    /// when the Service is not proxied (headless, ExternalName, no ClusterIP, or its
    /// `service.kubernetes.io/service-proxy-name` label differs from ``ProxyConfig/serviceProxyName``).
    ///
    /// - Parameters:
    ///   - slices: the Service's EndpointSlices (any order; processed by name).
    ///   - node: this node's Node object, for its zone and primary IPs; nil when unknown.
    public static func plan(
        service: Service, slices: [EndpointSlice], config: ProxyConfig, node: Node? = nil
    ) -> [ServicePortPlan] {
        plan(service: service, slices: slices, config: config, context: NodeContext(config: config, node: node))
    }

    /// Plans one Service against an already resolved node context (what the cluster-wide entry
    /// points use, so the Node object is read once per sync, not once per Service).
    ///
    /// `slices` may be the store's own collection: the common single slice is read in place, not
    /// copied into an array first.
    ///
    /// With `snapshot`, a load-balancer IP and port that another proxied Service claims too goes to
    /// the one that ``Service/precedes(_:)`` the other (the older); this one lists it as shadowed.
    public static func plan(
        service: Service, slices: some Collection<EndpointSlice>, config: ProxyConfig, context: NodeContext,
        snapshot: ClusterSnapshot? = nil
    ) -> [ServicePortPlan] {
        guard service.isProxied(by: config.serviceProxyName) else { return [] }
        if slices.count > 1 {
            return plan(service: service, sortedSlices: slices.sorted { $0.name < $1.name }, config: config, context: context, snapshot: snapshot)
        }
        return plan(service: service, sortedSlices: slices, config: config, context: context, snapshot: snapshot)
    }

    /// Whether `service` holds `ip` for `port`: no other proxied Service claiming `ip` with the same
    /// port number and protocol precedes it. O(claimants of `ip`); true at once when it has no rival.
    static func holds(_ ip: IPAddress, _ port: ServicePort, of service: Service, in snapshot: ClusterSnapshot, config: ProxyConfig) -> Bool {
        guard let claimants = snapshot.loadBalancerClaims[ip], claimants.count > 1 else { return true }
        for key in claimants where key != service.key {
            guard let other = snapshot.services[key], other.isProxied(by: config.serviceProxyName),
                  other.ports.contains(where: { $0.port == port.port && $0.protocol == port.protocol }),
                  other.precedes(service) else { continue }
            return false
        }
        return true
    }

    /// Plans one proxied Service whose slices are in name order.
    private static func plan(
        service: Service, sortedSlices: some Collection<EndpointSlice>, config: ProxyConfig, context: NodeContext,
        snapshot: ClusterSnapshot?
    ) -> [ServicePortPlan] {
        var plans: [ServicePortPlan] = []
        let model = service.dispatchModel ?? config.dispatch
        let override = service.dispatchModel.flatMap { $0 == config.dispatch ? nil : $0 }
        for family in IPFamily.allCases {
            guard let clusterIP = service.clusterIP(of: family) else { continue }
            let frontends = Frontends(service: service, family: family, node: context)
            for port in service.ports {
                let candidates = EndpointResolution.endpoints(
                    for: port, family: family, slices: sortedSlices, nodeName: context.name
                )
                let selection = EndpointSelection(
                    endpoints: candidates, trafficDistribution: service.trafficDistribution, node: context
                )
                let cluster = DispatchTables.set(selection.cluster, ifEmpty: .reject, model: model, config: config)
                let localIfEmpty: NoEndpointsVerdict = selection.hasEndpoints ? .drop : .reject
                // Every endpoint local (a one-node cluster): share the table rather than build it twice.
                let local = selection.local == selection.cluster
                    ? EndpointSet(endpoints: cluster.endpoints, table: cluster.table, ifEmpty: localIfEmpty)
                    : DispatchTables.set(selection.local, ifEmpty: localIfEmpty, model: model, config: config)
                var loadBalancerIPs = frontends.loadBalancerIPs
                var shadowed: [IPAddress] = []
                if let snapshot, !loadBalancerIPs.isEmpty {
                    shadowed = loadBalancerIPs.filter { !holds($0, port, of: service, in: snapshot, config: config) }
                    if !shadowed.isEmpty { loadBalancerIPs.removeAll { shadowed.contains($0) } }
                }
                var plan = ServicePortPlan(
                    name: service.portName(port), family: family, port: port.port, clusterIP: clusterIP,
                    nodePort: port.nodePort, externalIPs: frontends.externalIPs,
                    loadBalancerIPs: loadBalancerIPs,
                    loadBalancerSourceRanges: frontends.sourceRanges,
                    restrictsLoadBalancerSources: frontends.restrictsSources,
                    sessionAffinityTimeout: service.sessionAffinity.timeoutSeconds,
                    internalTrafficPolicy: service.internalTrafficPolicy,
                    externalTrafficPolicy: service.externalTrafficPolicy,
                    cluster: cluster, local: local, hasEndpoints: selection.hasEndpoints,
                    healthCheckNodePort: service.needsHealthCheck ? service.healthCheckNodePort : 0,
                    localEndpointCount: selection.localReadyAddressCount
                )
                plan.shadowedLoadBalancerIPs = shadowed
                plan.dispatch = override
                if service.dispatchAnnotation != nil, service.dispatchModel == nil { plan.ignoredDispatchAnnotation = service.dispatchAnnotation }
                plans.append(plan)
            }
        }
        if plans.count > 1 { plans.sort() }
        return plans
    }

    /// Plans every Service of a snapshot (a full sync).
    public static func plan(snapshot: ClusterSnapshot, config: ProxyConfig) -> ClusterPlan {
        let context = NodeContext(config: config, snapshot: snapshot)
        var services: [ObjectKey: [ServicePortPlan]] = [:]
        services.reserveCapacity(snapshot.services.count)
        for (key, service) in snapshot.services {
            let plans = plan(service: service, slices: slices(of: key, in: snapshot), config: config, context: context, snapshot: snapshot)
            if !plans.isEmpty { services[key] = plans }
        }
        return ClusterPlan(node: context, services: services)
    }

    /// Re-plans only what `changes` touched: each dirty Service (``ClusterChanges/dirtyServices``) gets
    /// its new plans, or an empty list when it is gone or no longer proxied. O(changed services).
    ///
    /// When this node's own Node object changed (zone or addresses) or a ServiceCIDR did, every plan
    /// may change, so this falls back to a full re-plan and says so with ``PlanUpdate/isFull``.
    public static func plan(changes: ClusterChanges, snapshot: ClusterSnapshot, config: ProxyConfig) -> PlanUpdate {
        let context = NodeContext(config: config, snapshot: snapshot)
        if changes.nodes.contains(config.nodeName) || !changes.serviceCIDRs.isEmpty {
            return PlanUpdate(node: context, isFull: true, services: plan(snapshot: snapshot, config: config).services)
        }
        return PlanUpdate(
            node: context, isFull: false,
            services: plan(services: changes.dirtyServices, snapshot: snapshot, config: config, context: context)
        )
    }

    /// Re-plans the listed Services: removed or unproxied ones map to an empty list.
    public static func plan(
        services keys: Set<ObjectKey>, snapshot: ClusterSnapshot, config: ProxyConfig, context: NodeContext
    ) -> [ObjectKey: [ServicePortPlan]] {
        var result: [ObjectKey: [ServicePortPlan]] = [:]
        result.reserveCapacity(keys.count)
        for key in keys {
            guard let service = snapshot.services[key] else {
                result[key] = []
                continue
            }
            result[key] = plan(service: service, slices: slices(of: key, in: snapshot), config: config, context: context, snapshot: snapshot)
        }
        return result
    }

    /// The joined slices of one Service, unsorted (``plan(service:slices:config:context:)`` sorts).
    private static func slices(of key: ObjectKey, in snapshot: ClusterSnapshot) -> Dictionary<String, EndpointSlice>.Values {
        (snapshot.endpointSlicesByService[key] ?? [:]).values
    }
}

extension Service {
    /// kube-proxy's `NeedsHealthCheck`: only LoadBalancer Services with `externalTrafficPolicy: Local`
    /// get a health-check node port served.
    var needsHealthCheck: Bool { type == .loadBalancer && externalTrafficPolicy == .local }
}

extension SessionAffinity {
    /// The ClientIP timeout, nil without affinity.
    var timeoutSeconds: Int? {
        switch self {
        case .none: nil
        case .clientIP(let timeout): timeout
        }
    }
}
