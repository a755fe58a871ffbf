import SwitchyardModel

/// What the health-check node port of one Service reports (`externalTrafficPolicy: Local` load
/// balancers): the port, and how many endpoints of the Service run on this node. kube-proxy answers
/// 200 when the count is positive and 503 otherwise.
public struct ServiceHealthCheck: Sendable, Hashable, Comparable {
    /// The Service (namespace/name).
    public var service: ObjectKey
    /// `spec.healthCheckNodePort`.
    public var nodePort: Int
    /// Distinct addresses of this node's ready endpoints over all ports and families of the Service
    /// (kube-proxy's `LocalReadyEndpoints`).
    public var localEndpoints: Int

    public init(service: ObjectKey, nodePort: Int, localEndpoints: Int) {
        self.service = service
        self.nodePort = nodePort
        self.localEndpoints = localEndpoints
    }

    /// The health check of one Service from its port plans; nil without a health-check node port.
    public init?(service: ObjectKey, plans: [ServicePortPlan]) {
        guard let nodePort = plans.first(where: { $0.healthCheckNodePort != 0 })?.healthCheckNodePort else { return nil }
        let addresses = plans.flatMap { plan in plan.local.endpoints.filter(\.isReady).map(\.ip) }
        self.init(service: service, nodePort: nodePort, localEndpoints: Set(addresses).count)
    }

    public static func < (lhs: ServiceHealthCheck, rhs: ServiceHealthCheck) -> Bool {
        (lhs.nodePort, lhs.service) < (rhs.nodePort, rhs.service)
    }
}

extension ClusterPlan {
    /// The health check of every Service with a health-check node port, by Service.
    public var healthChecks: [ObjectKey: ServiceHealthCheck] {
        var checks: [ObjectKey: ServiceHealthCheck] = [:]
        for (key, ports) in services {
            if let check = ServiceHealthCheck(service: key, plans: ports) { checks[key] = check }
        }
        return checks
    }
}
