import SwitchyardModel

/// The plans of every proxied Service of a snapshot, plus the node context they were made for.
public struct ClusterPlan: Sendable, Hashable {
    /// The node the plans were made for (zone, NodePort addresses).
    public var node: NodeContext
    /// Per Service: its port plans, sorted (``ServicePortPlan`` order). Services that are not proxied
    /// (headless, ExternalName, no ClusterIP, another proxy's) are absent.
    public var services: [ObjectKey: [ServicePortPlan]]

    public init(node: NodeContext, services: [ObjectKey: [ServicePortPlan]]) {
        self.node = node
        self.services = services
    }

    /// Every port plan, sorted by service port name then family: a deterministic order for renderers.
    public var servicePorts: [ServicePortPlan] {
        services.keys.sorted().flatMap { services[$0] ?? [] }
    }

    /// The port plans of the Services `changed` (nil: of every Service), in no particular order: what
    /// a sync programs from the plan touches.
    public func ports(of changed: Set<ObjectKey>?) -> [ServicePortPlan] {
        changed.map { keys in keys.flatMap { services[$0] ?? [] } } ?? Array(services.values.joined())
    }

    /// Applies an incremental update: replaces the listed services, dropping those that became empty.
    public mutating func apply(_ update: PlanUpdate) {
        if update.isFull { services = [:] }
        node = update.node
        for (key, plans) in update.services {
            services[key] = plans.isEmpty ? nil : plans
        }
    }
}

/// The re-planned services after some changes: ``services`` holds exactly the Services to replace;
/// an empty list means the Service is gone or no longer proxied (delete its rules).
public struct PlanUpdate: Sendable, Hashable {
    /// The node context now (it may have changed when ``isFull``).
    public var node: NodeContext
    /// True when everything was re-planned (this node's Node object changed: zone or primary IPs may
    /// differ, so every plan may change). Then ``services`` lists every proxied Service, and a Service
    /// missing from it must be deleted.
    public var isFull: Bool
    /// Per re-planned Service: its new port plans; empty when it is gone or no longer proxied.
    public var services: [ObjectKey: [ServicePortPlan]]

    public init(node: NodeContext, isFull: Bool, services: [ObjectKey: [ServicePortPlan]]) {
        self.node = node
        self.isFull = isFull
        self.services = services
    }
}
