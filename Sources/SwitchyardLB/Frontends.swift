import SwitchyardModel

/// The per-family frontends of a Service besides its ClusterIP and NodePort: externalIPs, load
/// balancer IPs (skipping `ipMode: Proxy`) and the source ranges that guard the latter.
struct Frontends {
    var externalIPs: [IPAddress]
    var loadBalancerIPs: [IPAddress]
    var sourceRanges: [CIDR]
    var restrictsSources: Bool

    init(service: Service, family: IPFamily, node: NodeContext) {
        externalIPs = uniqueSorted(service.externalIPs.filter { $0.family == family })
        let lbIPs = service.loadBalancerIngress.isEmpty ? [] : service.loadBalancerIngress.compactMap { ingress -> IPAddress? in
            guard let ip = ingress.ip, ip.family == family, ingress.ipMode != .proxy else { return nil }
            return ip
        }
        loadBalancerIPs = uniqueSorted(lbIPs)
        restrictsSources = !service.loadBalancerSourceRanges.isEmpty && !loadBalancerIPs.isEmpty
        guard restrictsSources else {
            sourceRanges = []
            return
        }
        var ranges = service.loadBalancerSourceRanges.filter { $0.family == family }
        let nodeIPs = node.primaryIPs(of: family)
        if ranges.contains(where: { range in nodeIPs.contains { range.contains($0) } }) {
            ranges += loadBalancerIPs.map { CIDR(host: $0) }
        }
        sourceRanges = uniqueSorted(ranges)
    }
}

/// Sorted without duplicates; no allocation for the common empty and single-element cases.
func uniqueSorted<T: Comparable>(_ values: [T]) -> [T] {
    guard values.count > 1 else { return values }
    var result: [T] = []
    result.reserveCapacity(values.count)
    for value in values.sorted() where result.last != value { result.append(value) }
    return result
}
