import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink

/// Which UDP conntrack entries a sync made stale (TCP flows end or get reset on their own). Pure.
///
/// - An endpoint that a UDP service port no longer reaches: flows to each of the port's frontends
///   whose reply comes from that endpoint (they would keep going to it for as long as packets flow).
/// - A UDP service port that goes from no endpoints to some: flows to its frontends that were never
///   translated (reply source = the frontend itself), created while packets were rejected.
public enum ConntrackCleanup {
    public static func filters(old: ClusterPlan?, new: ClusterPlan) -> [ConntrackFilter] {
        let oldPorts = Dictionary(
            (old?.servicePorts ?? []).filter { $0.protocol == .udp }.map { (PortKey($0), $0) },
            uniquingKeysWith: { first, _ in first })
        var filters: [ConntrackFilter] = []
        var seen: Set<PortKey> = []
        for plan in new.servicePorts where plan.protocol == .udp {
            let key = PortKey(plan)
            seen.insert(key)
            let before = oldPorts[key]
            let frontends = frontends(of: plan, node: new.node)
            let removed = Set(before?.reachableEndpoints.map(\.ip) ?? []).subtracting(plan.reachableEndpoints.map(\.ip))
            for ip in removed.sorted() {
                filters += frontends.map { ConntrackFilter(destination: $0.ip.bytes, port: $0.port, replySource: ip.bytes) }
            }
            if plan.hasEndpoints, !(before?.hasEndpoints ?? false) {
                filters += frontends.map { ConntrackFilter(destination: $0.ip.bytes, port: $0.port, replySource: $0.ip.bytes) }
            }
        }
        // Ports that disappeared: their endpoints are gone too.
        for (key, plan) in oldPorts.sorted(by: { $0.value < $1.value }) where !seen.contains(key) {
            let frontends = frontends(of: plan, node: old?.node ?? new.node)
            for ip in Set(plan.reachableEndpoints.map(\.ip)).sorted() {
                filters += frontends.map { ConntrackFilter(destination: $0.ip.bytes, port: $0.port, replySource: ip.bytes) }
            }
        }
        return filters
    }

    /// Every address and port that traffic of `plan` is sent to.
    static func frontends(of plan: ServicePortPlan, node: NodeContext) -> [(ip: IPAddress, port: UInt16)] {
        let port = UInt16(clamping: plan.port)
        var result = ([plan.clusterIP] + plan.externalIPs + plan.loadBalancerIPs).map { (ip: $0, port: port) }
        if plan.nodePort != 0 {
            result += node.nodePortAddresses(of: plan.family).map { (ip: $0, port: UInt16(clamping: plan.nodePort)) }
        }
        return result
    }

    struct PortKey: Hashable {
        var name: ServicePortName
        var family: IPFamily

        init(_ plan: ServicePortPlan) {
            name = plan.name
            family = plan.family
        }
    }
}
