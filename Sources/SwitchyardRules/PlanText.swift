import SwitchyardLB
import SwitchyardModel

/// A readable listing of plans (`switchyard rules --format plan`): per service port and family, the
/// frontends, the endpoint sets with their dispatch tables, and what happens when a set is empty.
public enum PlanText {
    public static func render(_ plan: ClusterPlan) -> String {
        var lines = ["# node \(plan.node.name)" + (plan.node.zone.map { " zone \($0)" } ?? "")
                     + " nodeport-addresses " + (plan.node.nodePortAddresses.isEmpty ? "(none)" : plan.node.nodePortAddresses.map(\.description).joined(separator: ","))]
        for port in plan.servicePorts {
            lines.append("\(port.name) \(port.family.rawValue)")
            var frontends = ["clusterIP " + hostPort(port.clusterIP, port.port)]
            if port.nodePort != 0 { frontends.append("nodePort \(port.nodePort)") }
            frontends += port.externalIPs.map { "externalIP " + hostPort($0, port.port) }
            frontends += port.loadBalancerIPs.map { "loadBalancerIP " + hostPort($0, port.port) }
            lines.append("  frontends: " + frontends.joined(separator: ", "))
            if port.restrictsLoadBalancerSources {
                lines.append("  loadBalancerSourceRanges: " + (port.loadBalancerSourceRanges.isEmpty ? "(none: drop all)" : port.loadBalancerSourceRanges.map(\.description).joined(separator: ", ")))
            }
            lines.append("  policies: internal \(port.internalTrafficPolicy.rawValue), external \(port.externalTrafficPolicy.rawValue)"
                         + (port.sessionAffinityTimeout.map { ", affinity ClientIP \($0)s" } ?? ""))
            lines.append("  cluster: " + describe(port.cluster))
            if port.internalTrafficPolicy == .local || port.externalTrafficPolicy == .local {
                lines.append("  local: " + describe(port.local))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func hostPort(_ address: IPAddress, _ port: Int) -> String {
        address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    static func describe(_ set: EndpointSet) -> String {
        if set.isEmpty { return "(none: \(set.ifEmpty.rawValue))" }
        var text = set.endpoints.map(\.description).joined(separator: ", ")
        switch set.table.model {
        case .chains:
            text += " [chains: " + set.endpoints.indices.map { ProbabilityCascade.text(index: $0, of: set.count) ?? "rest" }.joined(separator: ", ") + "]"
        default:
            text += " [\(set.table.model.rawValue): \(set.table.size) slot\(set.table.size == 1 ? "" : "s")]"
        }
        return text
    }
}
