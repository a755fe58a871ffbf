import SwitchyardLB
import SwitchyardModel

/// Builders for the selection tests: a Service and its slices in a few words.
enum Fixture {
    static let nodeName = "node-a"
    static let zone = "zone-1"

    static func ip(_ text: String) -> IPAddress {
        guard let ip = IPAddress(text) else { fatalError("bad test address \(text)") }
        return ip
    }

    static func cidr(_ text: String) -> CIDR {
        guard let cidr = CIDR(text) else { fatalError("bad test CIDR \(text)") }
        return cidr
    }

    static var node: Node {
        Node(
            name: nodeName, labels: [WellKnownLabel.topologyZone: zone],
            addresses: [
                NodeAddress(type: .internalIP, address: "192.168.0.10"),
                NodeAddress(type: .internalIP, address: "fd00:192::10"),
            ]
        )
    }

    static var config: ProxyConfig { ProxyConfig(nodeName: nodeName, clusterCIDRs: [cidr("10.244.0.0/16")]) }

    static func service(
        _ name: String = "svc", namespace: String = "ns", clusterIPs: [String] = ["10.96.0.10"],
        ports: [ServicePort] = [ServicePort(name: "http", port: 80)],
        configure: (inout Service) -> Void = { _ in }
    ) -> Service {
        var service = Service(
            namespace: namespace, name: name, clusterIPs: clusterIPs.map(ip), ports: ports
        )
        configure(&service)
        return service
    }

    /// One endpoint at `address`; `node` defaults to another node.
    static func endpoint(
        _ address: String, node: String? = "node-b", ready: Bool? = true, serving: Bool? = nil,
        terminating: Bool? = nil, zone: String? = nil, hints: EndpointHints? = nil
    ) -> Endpoint {
        Endpoint(
            addresses: [ip(address)],
            conditions: EndpointConditions(ready: ready, serving: serving, terminating: terminating),
            nodeName: node, zone: zone, hints: hints
        )
    }

    static func slice(
        _ name: String, service: String = "svc", namespace: String = "ns", family: EndpointAddressType = .ipv4,
        ports: [EndpointPort] = [EndpointPort(name: "http", port: 8080)], endpoints: [Endpoint]
    ) -> EndpointSlice {
        EndpointSlice(
            namespace: namespace, name: name, labels: [WellKnownLabel.serviceName: service], addressType: family,
            endpoints: endpoints, ports: ports
        )
    }

    /// Plans one service with the fixture node.
    static func plan(
        _ service: Service, _ slices: [EndpointSlice], config: ProxyConfig = Fixture.config
    ) -> [ServicePortPlan] {
        Planner.plan(service: service, slices: slices, config: config, node: node)
    }

    static func addresses(_ set: EndpointSet) -> [String] { set.endpoints.map(\.description) }
}

/// SplitMix64: a tiny seeded generator so statistics tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// The kernel's `jhash()` (Bob Jenkins' lookup3) of a 4-byte key, and nft_hash's `reciprocal_scale`
/// to a modulus: what `jhash ip saddr mod N seed S` computes. The `sourcehash` / `maglev` simulations
/// hash random client addresses with it.
enum JHash {
    /// `jhash ip saddr mod modulus seed seed` for an IPv4 source address (network-order bytes).
    static func slot(source: UInt32, modulus: Int, seed: UInt32 = 0) -> Int {
        // The key bytes in memory are the address in network order; lookup3 reads them little-endian.
        let word = source.byteSwapped
        let h = hash4Bytes(word, seed: seed)
        return Int((UInt64(h) &* UInt64(modulus)) >> 32)
    }

    static func rotate(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }

    static func hash4Bytes(_ a0: UInt32, seed: UInt32) -> UInt32 {
        var a = 0xdead_beef &+ (1 << 2) &+ seed
        var b = a
        var c = a
        a = a &+ a0
        // __jhash_final
        c ^= b; c = c &- rotate(b, 14)
        a ^= c; a = a &- rotate(c, 11)
        b ^= a; b = b &- rotate(a, 25)
        c ^= b; c = c &- rotate(b, 16)
        a ^= c; a = a &- rotate(c, 4)
        b ^= a; b = b &- rotate(a, 14)
        c ^= b; c = c &- rotate(b, 24)
        return c
    }
}
