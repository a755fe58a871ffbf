import SwitchyardModel

/// A pattern of conntrack entries that must be deleted after a sync: UDP flows sent to
/// `frontend:port` whose replies come from `replySource`. UDP has no connection end, so without the
/// deletion a client keeps sending to an endpoint that is gone (the classic DNS outage after
/// CoreDNS pods move), or to a frontend that was rejected before it had endpoints.
public struct StaleFlow: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var frontend: IPAddress
    public var port: Int
    public var `protocol`: TransportProtocol
    /// A removed endpoint, or the frontend itself for flows that were never translated.
    public var replySource: IPAddress

    public init(frontend: IPAddress, port: Int, protocol: TransportProtocol, replySource: IPAddress) {
        self.frontend = frontend
        self.port = port
        self.protocol = `protocol`
        self.replySource = replySource
    }

    public var description: String { "\(self.protocol.lowercased) \(frontend):\(port) ← \(replySource)" }

    public static func < (lhs: StaleFlow, rhs: StaleFlow) -> Bool {
        (lhs.frontend, lhs.port, lhs.replySource) < (rhs.frontend, rhs.port, rhs.replySource)
    }
}

/// Which flows a plan change leaves stale (kube-proxy's diff-driven conntrack cleanup, per frontend
/// and endpoint instead of a scan of the whole table).
public enum StaleFlows {
    /// The stale UDP flows when one service port's plan goes from `old` to `new` (nil: absent).
    /// `nodePortAddresses` are the addresses NodePorts are served on.
    public static func between(old: ServicePortPlan?, new: ServicePortPlan?, nodePortAddresses: [IPAddress]) -> [StaleFlow] {
        let proto = (old ?? new)?.protocol ?? .tcp
        guard proto == .udp else { return [] }
        var flows: Set<StaleFlow> = []
        if let old {
            let remaining = Set((new?.reachableEndpoints ?? []).map(\.ip))
            let removed = Set(old.reachableEndpoints.map(\.ip)).subtracting(remaining)
            for (frontend, port) in frontends(of: old, nodePortAddresses: nodePortAddresses) {
                for endpoint in removed {
                    flows.insert(StaleFlow(frontend: frontend, port: port, protocol: proto, replySource: endpoint))
                }
            }
        }
        if let new, new.hasEndpoints, !(old?.hasEndpoints ?? false) {
            for (frontend, port) in frontends(of: new, nodePortAddresses: nodePortAddresses) {
                flows.insert(StaleFlow(frontend: frontend, port: port, protocol: proto, replySource: frontend))
            }
        }
        return flows.sorted()
    }

    /// The stale flows of a whole plan update: every service port of the changed services.
    public static func between(old: ClusterPlan, new: ClusterPlan, services: some Sequence<ObjectKey>) -> [StaleFlow] {
        var flows: [StaleFlow] = []
        for service in services {
            flows += between(old: old.services[service] ?? [], new: new.services[service] ?? [], nodePortAddresses: new.node.nodePortAddresses)
        }
        return flows.sorted()
    }

    /// The stale flows when one Service's port plans go from `old` to `new` (empty: absent).
    public static func between(old: [ServicePortPlan], new: [ServicePortPlan], nodePortAddresses: [IPAddress]) -> [StaleFlow] {
        guard old.contains(where: { $0.protocol == .udp }) || new.contains(where: { $0.protocol == .udp }) else { return [] }
        let before = Dictionary(old.map { (PortKey($0), $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.map { (PortKey($0), $0) }, uniquingKeysWith: { first, _ in first })
        var flows: [StaleFlow] = []
        for key in Set(before.keys).union(after.keys) {
            flows += between(old: before[key], new: after[key], nodePortAddresses: nodePortAddresses)
        }
        return flows
    }

    private struct PortKey: Hashable {
        var name: ServicePortName
        var family: IPFamily
        init(_ plan: ServicePortPlan) { name = plan.name; family = plan.family }
    }

    private static func frontends(of plan: ServicePortPlan, nodePortAddresses: [IPAddress]) -> [(IPAddress, Int)] {
        var result = [(plan.clusterIP, plan.port)]
        result += (plan.externalIPs + plan.loadBalancerIPs).map { ($0, plan.port) }
        if plan.nodePort != 0 {
            result += nodePortAddresses.filter { $0.family == plan.family }.map { ($0, plan.nodePort) }
        }
        return result
    }
}
