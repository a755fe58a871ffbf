import SwitchyardModel

/// Counts of a set of objects, as `switchyard validate` prints them.
public struct ClusterSummary: Sendable, Hashable, CustomStringConvertible {
    /// Namespace names, sorted.
    public var namespaces: [String] = []
    /// Node names, sorted.
    public var nodes: [String] = []
    /// Services per `spec.type` (headless ones count as ClusterIP).
    public var servicesByType: [ServiceType: Int] = [:]
    /// Services with `clusterIP: None`.
    public var headlessServices = 0
    /// EndpointSlices, and below per address type.
    public var endpointSlices = 0
    public var endpointSlicesByAddressType: [EndpointAddressType: Int] = [:]
    /// Endpoints over all slices, and below per condition (with the API's meaning of missing values).
    public var endpoints = 0
    public var readyEndpoints = 0
    public var servingEndpoints = 0
    public var terminatingEndpoints = 0
    /// Pods, and below per phase (`Unknown` when none is given).
    public var pods = 0
    /// The ranges of ServiceCIDR objects.
    public var serviceCIDRs: [CIDR] = []
    public var podsByPhase: [String: Int] = [:]

    /// Counts `objects`.
    public init(_ objects: [ClusterObject]) {
        for object in objects {
            switch object {
            case .namespace(let namespace): namespaces.append(namespace.name)
            case .node(let node): nodes.append(node.name)
            case .serviceCIDR(let range): serviceCIDRs += range.cidrs
            case .service(let service):
                servicesByType[service.type, default: 0] += 1
                if service.isHeadless { headlessServices += 1 }
            case .endpointSlice(let slice):
                endpointSlices += 1
                endpointSlicesByAddressType[slice.addressType, default: 0] += 1
                for endpoint in slice.endpoints {
                    endpoints += 1
                    if endpoint.conditions.isReady { readyEndpoints += 1 }
                    if endpoint.conditions.isServing { servingEndpoints += 1 }
                    if endpoint.conditions.isTerminating { terminatingEndpoints += 1 }
                }
            case .pod(let pod):
                pods += 1
                podsByPhase[pod.phase?.rawValue ?? "Unknown", default: 0] += 1
            }
        }
        namespaces.sort()
        nodes.sort()
    }

    /// All Services.
    public var services: Int { servicesByType.values.reduce(0, +) }

    /// Several lines, deterministic.
    public var description: String {
        let types = ServiceType.allCases.map { "\($0.rawValue) \(servicesByType[$0] ?? 0)" }.joined(separator: ", ")
        let families = [EndpointAddressType.ipv4, .ipv6, .fqdn].compactMap { type in
            endpointSlicesByAddressType[type].map { "\(type.rawValue) \($0)" }
        }.joined(separator: ", ")
        let phases = podsByPhase.keys.sorted().map { "\($0) \(podsByPhase[$0] ?? 0)" }.joined(separator: ", ")
        return [
            "namespaces: \(namespaces.count)\(Self.list(namespaces))",
            "services: \(services) (\(types); headless \(headlessServices))",
            "endpoint slices: \(endpointSlices)\(families.isEmpty ? "" : " (\(families))")",
            "endpoints: \(endpoints) (ready \(readyEndpoints), serving \(servingEndpoints), terminating \(terminatingEndpoints))",
            "pods: \(pods)\(phases.isEmpty ? "" : " (\(phases))")",
            "nodes: \(nodes.count)\(Self.list(nodes))",
        ].joined(separator: "\n")
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "" : " (\(names.joined(separator: ", ")))"
    }
}
