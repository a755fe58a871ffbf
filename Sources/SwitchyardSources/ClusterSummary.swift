import SwitchyardModel

/// Counts of a set of objects, as `switchyard validate` prints them.
public struct ClusterSummary: Sendable, Hashable, CustomStringConvertible {
    public var namespaces: [String] = []
    public var nodes: [String] = []
    public var servicesByType: [ServiceType: Int] = [:]
    public var headlessServices = 0
    public var endpointSlices = 0
    public var endpointSlicesByAddressType: [EndpointAddressType: Int] = [:]
    public var endpoints = 0
    public var readyEndpoints = 0
    public var servingEndpoints = 0
    public var terminatingEndpoints = 0
    public var pods = 0
    public var podsByPhase: [String: Int] = [:]

    public init(_ objects: [ClusterObject]) {
        for object in objects {
            switch object {
            case .namespace(let namespace): namespaces.append(namespace.name)
            case .node(let node): nodes.append(node.name)
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
