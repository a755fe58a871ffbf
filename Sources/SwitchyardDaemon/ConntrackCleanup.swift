import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink

/// Which conntrack entries a sync made stale, as netlink filters: ``StaleFlows`` (SwitchyardLB)
/// decides, this only translates. UDP only (TCP flows end or get reset on their own).
public enum ConntrackCleanup {
    /// The filters for the change from `old` (nil before the first sync: every service with
    /// endpoints counts as newly served) to `new`, over every Service (a full sync).
    public static func filters(old: ClusterPlan?, new: ClusterPlan) -> [ConntrackFilter] {
        let before = old ?? ClusterPlan(node: new.node, services: [:])
        let keys = Set(before.services.keys).union(new.services.keys)
        return StaleFlows.between(old: before, new: new, services: keys.sorted()).map(filter)
    }

    /// The filters for one Service's port plans going from `old` to `new` (empty: absent).
    public static func filters(old: [ServicePortPlan], new: [ServicePortPlan], nodePortAddresses: [IPAddress]) -> [ConntrackFilter] {
        StaleFlows.between(old: old, new: new, nodePortAddresses: nodePortAddresses).map(filter)
    }

    static func filter(_ flow: StaleFlow) -> ConntrackFilter {
        ConntrackFilter(
            destination: flow.frontend.bytes, port: UInt16(clamping: flow.port),
            protocol: flow.protocol == .udp ? 17 : flow.protocol == .sctp ? 132 : 6,
            replySource: flow.replySource.bytes)
    }
}
