import SwitchyardLB
import SwitchyardModel

/// The size and seed of a synthetic cluster.
public struct ClusterShape: Sendable, Hashable, CustomStringConvertible {
    public var services: Int
    public var endpointsPerService: Int
    public var seed: UInt64

    public init(services: Int, endpointsPerService: Int, seed: UInt64 = 1) {
        self.services = services
        self.endpointsPerService = endpointsPerService
        self.seed = seed
    }

    public var description: String { "\(services) services × \(endpointsPerService) endpoints" }
}

/// A deterministic, seeded cluster for benchmarks and tests: `services` single-port IPv4 Services,
/// each with one EndpointSlice of `endpointsPerService` ready endpoints spread over 100 nodes.
///
/// The mix, decided per Service from the seed and its index (so Service i is the same in every
/// cluster size): about 10% UDP (port 53, like DNS), about 14% NodePort (TCP, distinct node ports
/// 30000-32767 while they last), the rest TCP ClusterIP on common ports. Addresses:
/// ClusterIPs from 10.96.0.0/12, endpoints from 10.64.0.0/10 (the cluster CIDR; Service i uses
/// `10.64.0.0 + i·M …`), replacement endpoints from 10.112.0.0/12, this node is `node-0`
/// (192.168.1.10), so about 1% of endpoints are local.
///
/// The mutating helpers produce the events a real cluster would send for the benchmark's
/// incremental phases: one endpoint replaced, one Service added, one Service removed.
public struct SyntheticCluster: Sendable {
    public let shape: ClusterShape
    /// This node's name and Node object.
    public static let nodeName = "node-0"
    public static let nodeAddress = IPv4Address(192, 168, 1, 10)
    /// The pod network (`--cluster-cidr`).
    public static let clusterCIDR = CIDR(address: .v4(IPv4Address(10, 64, 0, 0)), prefixLength: 10)
    /// Number of nodes endpoints are spread over.
    public static let nodeCount = 100
    static let firstNodePort = 30000
    static let nodePortCount = 2768

    /// The current Services and slices, by Service index (removed ones are nil).
    public private(set) var services: [Int: Service] = [:]
    public private(set) var slices: [Int: EndpointSlice] = [:]
    /// How many replacement endpoints were handed out (for fresh addresses).
    private var replacements = 0
    /// The next index for an added Service.
    private var nextIndex: Int

    public init(_ shape: ClusterShape) {
        self.shape = shape
        nextIndex = shape.services
        services.reserveCapacity(shape.services)
        slices.reserveCapacity(shape.services)
        for index in 0..<shape.services {
            services[index] = Self.service(index, seed: shape.seed)
            slices[index] = Self.slice(index, shape: shape)
        }
    }

    /// The Node object of this node.
    public static var node: Node {
        Node(
            name: nodeName, labels: [WellKnownLabel.topologyZone: "zone-a"],
            addresses: [NodeAddress(type: .internalIP, address: nodeAddress.description)]
        )
    }

    /// The proxy configuration the benchmark uses for this cluster.
    public static func config(dispatch: DispatchModel = .default) -> ProxyConfig {
        ProxyConfig(nodeName: nodeName, clusterCIDRs: clusterCIDR.map { [$0] } ?? [], dispatch: dispatch)
    }

    /// Every object as `added` events: the Node, then Services and slices by index.
    public var events: [ClusterEvent] {
        var events: [ClusterEvent] = [.added(.node(Self.node))]
        events.reserveCapacity(1 + 2 * services.count)
        for index in services.keys.sorted() {
            if let service = services[index] { events.append(.added(.service(service))) }
            if let slice = slices[index] { events.append(.added(.endpointSlice(slice))) }
        }
        return events
    }

    /// A store holding the whole cluster, with its changes already taken.
    public var store: ClusterStore {
        var store = ClusterStore()
        store.apply(events)
        _ = store.takeChanges()
        return store
    }

    /// Live Service indices, sorted.
    public var indices: [Int] { services.keys.sorted() }

    // MARK: Mutations (the incremental phases)

    /// Replaces one endpoint of one Service (chosen from `round`) with a fresh address: the event an
    /// EndpointSlice update sends when a pod is rescheduled.
    public mutating func replaceEndpoint(round: Int) -> [ClusterEvent] {
        guard let index = liveIndex(near: round &* 7919), var slice = slices[index], !slice.endpoints.isEmpty else { return [] }
        replacements += 1
        let position = round % slice.endpoints.count
        let address = IPv4Address(IPv4Address(10, 112, 0, 0).value &+ UInt32(truncatingIfNeeded: replacements))
        slice.endpoints[position].addresses = [.v4(address)]
        slice.endpoints[position].targetRef = ObjectReference(kind: "Pod", namespace: slice.namespace, name: "\(slice.name)-r\(replacements)")
        slices[index] = slice
        return [.updated(.endpointSlice(slice))]
    }

    /// Adds one new Service (the next index) with its slice.
    public mutating func addService() -> [ClusterEvent] {
        let index = nextIndex
        nextIndex += 1
        let service = Self.service(index, seed: shape.seed)
        let slice = Self.slice(index, shape: shape)
        services[index] = service
        slices[index] = slice
        return [.added(.service(service)), .added(.endpointSlice(slice))]
    }

    /// Removes one Service (chosen from `round`) with its slice.
    public mutating func removeService(round: Int) -> [ClusterEvent] {
        guard let index = liveIndex(near: round &* 104_729 &+ 13) else { return [] }
        var events: [ClusterEvent] = []
        if let slice = slices.removeValue(forKey: index) { events.append(.deleted(.endpointSlice(slice))) }
        if let service = services.removeValue(forKey: index) { events.append(.deleted(.service(service))) }
        return events
    }

    /// The first live Service index at or after `seed` modulo the indices handed out (O(1) unless
    /// many Services were removed), so choosing a Service does not cost O(cluster).
    func liveIndex(near seed: Int) -> Int? {
        guard !services.isEmpty, nextIndex > 0 else { return nil }
        var index = abs(seed % nextIndex)
        for _ in 0..<nextIndex {
            if services[index] != nil { return index }
            index = (index + 1) % nextIndex
        }
        return nil
    }

    // MARK: Generation

    /// Service `index` (a pure function of the seed and the index).
    public static func service(_ index: Int, seed: UInt64) -> Service {
        var random = SeededGenerator(seed: seed, index: index)
        let roll = random.below(100)
        let isUDP = roll < 10
        let isNodePort = !isUDP && index % 7 == 3 && index / 7 < nodePortCount
        let port: ServicePort
        if isUDP {
            port = ServicePort(name: "dns", protocol: .udp, port: 53, targetPort: .number(5353))
        } else {
            let ports = [80, 443, 8080, 9090, 3306, 6379]
            let targets = [8080, 8443, 9000, 3000]
            let number = ports[random.below(ports.count)]
            port = ServicePort(
                name: number == 443 ? "https" : "http", protocol: .tcp, port: number,
                targetPort: .number(targets[random.below(targets.count)]),
                nodePort: isNodePort ? firstNodePort + index / 7 : 0
            )
        }
        return Service(
            namespace: namespace(index), name: "svc-\(index)", type: isNodePort ? .nodePort : .clusterIP,
            clusterIPs: [.v4(IPv4Address(IPv4Address(10, 96, 0, 0).value &+ UInt32(truncatingIfNeeded: index + 1)))],
            ipFamilies: [.ipv4], ports: [port]
        )
    }

    /// The EndpointSlice of Service `index`.
    public static func slice(_ index: Int, shape: ClusterShape) -> EndpointSlice {
        let service = service(index, seed: shape.seed)
        var random = SeededGenerator(seed: shape.seed &+ 0x5EED, index: index)
        let base = IPv4Address(10, 64, 0, 0).value &+ UInt32(truncatingIfNeeded: index &* shape.endpointsPerService)
        let endpoints = (0..<shape.endpointsPerService).map { position in
            Endpoint(
                addresses: [.v4(IPv4Address(base &+ UInt32(position)))],
                conditions: EndpointConditions(ready: true, serving: true, terminating: false),
                nodeName: "node-\(random.below(nodeCount))",
                targetRef: ObjectReference(kind: "Pod", namespace: service.namespace, name: "svc-\(index)-\(position)")
            )
        }
        let port = service.ports.first.map { port -> EndpointPort in
            let target: Int
            switch port.targetPort {
            case .number(let number): target = number
            case .name: target = port.port
            }
            return EndpointPort(name: port.name, protocol: port.protocol, port: target)
        }
        return EndpointSlice(
            namespace: service.namespace, name: "svc-\(index)-abcde",
            labels: [WellKnownLabel.serviceName: service.name], addressType: .ipv4,
            endpoints: endpoints, ports: port.map { [$0] } ?? []
        )
    }

    static func namespace(_ index: Int) -> String { "ns-\(index % 100)" }
}
