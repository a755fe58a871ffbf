import SwitchyardLB

/// The sync gauges over a programmed plan — service ports, and kube-proxy's
/// `sync_proxy_rules_no_local_endpoints_total` — kept up to date by replacing one Service's port
/// plans at a time, so an incremental sync costs O(changed Services), not O(cluster).
public struct PlanGauges: Sendable, Hashable {
    /// Service ports programmed.
    public private(set) var servicePorts = 0
    /// Service ports whose internal traffic policy is Local and that find no local endpoint while
    /// endpoints exist elsewhere.
    public private(set) var noLocalInternal = 0
    /// The same for the external traffic policy of externally reachable ports.
    public private(set) var noLocalExternal = 0

    public init() {}

    /// The gauges of a whole plan.
    public init(_ plan: ClusterPlan) {
        for ports in plan.services.values { replace([], with: ports) }
    }

    /// One Service's port plans went from `old` to `new` (empty: absent).
    public mutating func replace(_ old: [ServicePortPlan], with new: [ServicePortPlan]) {
        for port in old { count(port, sign: -1) }
        for port in new { count(port, sign: 1) }
    }

    /// kube-proxy's `traffic_policy` label values and their counts.
    public var noLocalEndpoints: [String: Int] { ["internal": noLocalInternal, "external": noLocalExternal] }

    private mutating func count(_ port: ServicePortPlan, sign: Int) {
        servicePorts += sign
        guard port.hasEndpoints, port.local.isEmpty else { return }
        if port.internalTrafficPolicy == .local { noLocalInternal += sign }
        if port.externalTrafficPolicy == .local, port.isExternallyAccessible { noLocalExternal += sign }
    }
}
