import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules

func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { fatalError("bad address \(text)") }
    return address
}

func addr(_ text: String) -> Address {
    guard let address = Address(text) else { fatalError("bad address \(text)") }
    return address
}

/// A small cluster around node `node-a` (192.168.1.10, fd00:1::10), pods in 10.244.0.0/16 and fd00:244::/48.
struct World {
    static let nodeName = "node-a"
    static let nodeIPv4 = "192.168.1.10"
    static let nodeIPv6 = "fd00:1::10"
    static let remoteClient = addr("203.0.113.7")
    static let remotePod = addr("10.244.9.9")

    var services: [Service] = []
    var slices: [EndpointSlice] = []
    var config = ProxyConfig(nodeName: World.nodeName, clusterCIDRs: [CIDR("10.244.0.0/16")!, CIDR("fd00:244::/48")!])
    var node = Node(name: World.nodeName, labels: ["topology.kubernetes.io/zone": "zone-a"],
                    addresses: [NodeAddress(type: .internalIP, address: World.nodeIPv4), NodeAddress(type: .internalIP, address: World.nodeIPv6)])

    /// Adds a Service with one endpoint slice per family of `endpoints`.
    mutating func add(_ service: Service, endpoints: [Endpoint], ports: [EndpointPort]? = nil) {
        services.append(service)
        let endpointPorts = ports ?? service.ports.map { EndpointPort(name: $0.name, protocol: $0.protocol, port: $0.port + 8000) }
        for family in IPFamily.allCases {
            let members = endpoints.filter { $0.addresses.first?.family == family }
            guard !members.isEmpty else { continue }
            slices.append(EndpointSlice(namespace: service.namespace, name: "\(service.name)-\(family.rawValue.lowercased())",
                                        labels: ["kubernetes.io/service-name": service.name],
                                        addressType: family == .ipv4 ? .ipv4 : .ipv6, endpoints: members, ports: endpointPorts))
        }
    }

    var plans: [ServicePortPlan] {
        services.flatMap { service in
            Planner.plan(service: service, slices: slices.filter { $0.namespace == service.namespace && $0.labels["kubernetes.io/service-name"] == service.name },
                         config: config, node: node)
        }
    }

    var context: NodeContext { NodeContext(config: config, node: node) }

    /// The plans grouped per Service, as the planner hands them out.
    var clusterPlan: ClusterPlan {
        var services: [ObjectKey: [ServicePortPlan]] = [:]
        for plan in plans { services[plan.name.service, default: []].append(plan) }
        return ClusterPlan(node: context, services: services)
    }

    /// A non-full update replacing the named Services with their plans in this world (empty when gone).
    func update(_ names: [String], namespace: String = "default") -> PlanUpdate {
        let current = clusterPlan.services
        var services: [ObjectKey: [ServicePortPlan]] = [:]
        for name in names {
            let key = ObjectKey(namespace: namespace, name: name)
            services[key] = current[key] ?? []
        }
        return PlanUpdate(node: context, isFull: false, services: services)
    }
    var ruleset: Ruleset { Compiler.compile(plans, node: context, config: config) }
    var transaction: Transaction { Differ.diff(from: Ruleset(), to: ruleset) }

    func fake() throws -> FakeNetfilter {
        var fake = FakeNetfilter()
        try fake.apply(transaction)
        return fake
    }

    var environment: TraceEnvironment { TraceEnvironment(localAddresses: [addr(World.nodeIPv4), addr(World.nodeIPv6)]) }

    /// Outcomes of a TCP (or `proto`) connection.
    func outcomes(from source: Address, to destination: String, port: UInt16, proto: L4Proto = .tcp,
                  origin: PacketOrigin = .remote(interface: "eth0")) throws -> Swift.Set<TraceOutcome> {
        try fake().outcomes(of: Packet(from: source, to: addr(destination), port: port, proto: proto, origin: origin), in: environment)
    }

    /// Distinct destinations (address:port) of accepted outcomes.
    func destinations(from source: Address, to destination: String, port: UInt16, proto: L4Proto = .tcp,
                      origin: PacketOrigin = .remote(interface: "eth0")) throws -> Swift.Set<String> {
        Swift.Set(try outcomes(from: source, to: destination, port: port, proto: proto, origin: origin).compactMap { outcome in
            outcome.delivery.map { $0.address.family == .ip6 ? "[\($0.address)]:\($0.port)" : "\($0.address):\($0.port)" }
        })
    }
}

func endpoint(_ text: String, node: String? = "node-b", ready: Bool = true, serving: Bool? = nil, terminating: Bool = false,
              zone: String? = nil, hints: EndpointHints? = nil) -> Endpoint {
    Endpoint(addresses: [ip(text)], conditions: EndpointConditions(ready: ready, serving: serving ?? ready, terminating: terminating),
             nodeName: node, zone: zone, hints: hints)
}

func service(_ name: String, namespace: String = "default", clusterIP: String = "10.96.0.10", ports: [ServicePort] = [ServicePort(name: "http", port: 80)],
             type: ServiceType = .clusterIP, extraClusterIPs: [String] = [], labels: [String: String] = [:], isHeadless: Bool = false,
             externalIPs: [String] = [], loadBalancer: [LoadBalancerIngress] = [], sourceRanges: [String] = [],
             affinity: SessionAffinity = .none, etp: TrafficPolicy = .cluster, itp: TrafficPolicy = .cluster,
             trafficDistribution: TrafficDistribution? = nil) -> Service {
    let ips = ([clusterIP] + extraClusterIPs).map(ip)
    return Service(namespace: namespace, name: name, labels: labels, type: type, clusterIPs: isHeadless ? [] : ips, isHeadless: isHeadless,
                   ipFamilies: ips.map(\.family), ports: ports, externalIPs: externalIPs.map(ip), loadBalancerIngress: loadBalancer,
                   loadBalancerSourceRanges: sourceRanges.compactMap { CIDR($0) }, sessionAffinity: affinity,
                   externalTrafficPolicy: etp, internalTrafficPolicy: itp, trafficDistribution: trafficDistribution)
}
