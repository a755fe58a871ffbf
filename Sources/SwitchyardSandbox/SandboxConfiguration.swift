import SwitchyardModel

/// An address with its prefix length as it goes on an interface (`192.168.50.10/24`); unlike `CIDR`
/// the host bits are kept.
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    public init(_ address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDR/LEN`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPAddress(parts[0]), let length = Int(parts[1]),
              length >= 0, length <= (address.family == .ipv4 ? 32 : 128)
        else { return nil }
        self.init(address, prefixLength: length)
    }

    /// The prefix this address is on.
    public var network: CIDR? { CIDR(address: address, prefixLength: prefixLength) }

    public var family: IPFamily { address.family }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// The ports an echo server listens on.
public struct SandboxPorts: Sendable, Hashable {
    public var tcp: [Int]
    public var udp: [Int]

    public init(tcp: [Int] = [], udp: [Int] = []) {
        self.tcp = tcp
        self.udp = udp
    }

    public var isEmpty: Bool { tcp.isEmpty && udp.isEmpty }

    /// Adds a port (SCTP is ignored: the echo server does not speak it); keeps each list sorted and unique.
    public mutating func add(_ port: Int, _ proto: TransportProtocol) {
        switch proto {
        case .tcp: tcp = Array(Set(tcp + [port])).sorted()
        case .udp: udp = Array(Set(udp + [port])).sorted()
        case .sctp: break
        }
    }

    /// The echo-server arguments: `--tcp P… --udp P…`.
    var arguments: [String] {
        (tcp.isEmpty ? [] : ["--tcp"] + tcp.map(String.init)) + (udp.isEmpty ? [] : ["--udp"] + udp.map(String.init))
    }
}

/// A pod as the sandbox builds it: its own namespace with its IPs, and an echo server on its ports.
public struct SandboxPod: Sendable, Hashable {
    public var key: ObjectKey
    public var addresses: [IPAddress]
    /// Whether the pod runs on the sandbox's node. Only metadata: every pod hangs off the node namespace.
    public var isLocal: Bool
    public var ports: SandboxPorts

    public init(key: ObjectKey, addresses: [IPAddress], isLocal: Bool = true, ports: SandboxPorts = SandboxPorts()) {
        self.key = key
        self.addresses = addresses
        self.isLocal = isLocal
        self.ports = ports
    }

    /// The name the pod's echo server answers with.
    public var name: String { key.name }
}

/// An endpoint that is not a pod (e.g. a manual EndpointSlice's 192.168.50.101): its address goes
/// on the client namespace and an echo server bound to that address answers as `name`.
public struct SandboxHost: Sendable, Hashable {
    public var name: String
    public var address: IPAddress
    public var ports: SandboxPorts

    public init(name: String, address: IPAddress, ports: SandboxPorts) {
        self.name = name
        self.address = address
        self.ports = ports
    }
}

/// Everything a `ClusterSandbox` builds. A value: derive it from a cluster with
/// `init(snapshot:tag:nodeName:)`, adjust fields, then `ClusterSandbox.create(_:)`.
public struct SandboxConfiguration: Sendable, Hashable {
    /// Names every namespace `sy-<tag>-…`; 1–8 characters `a-z0-9`. A new sandbox first removes
    /// whatever an earlier run with the same tag left behind.
    public var tag: String
    /// The node's name; its echo server (for endpoints on the node's own IP) answers with it.
    public var nodeName: String
    /// The node's addresses on the LAN it shares with the client (one per family).
    public var nodeAddresses: [InterfaceAddress]
    /// The client's primary addresses on that LAN (one per family).
    public var clientAddresses: [InterfaceAddress]
    /// More client source addresses (e.g. 203.0.113.10 inside a loadBalancerSourceRange): put on the
    /// client as /32 or /128 and routed back to it from the node. Send from one with `source:`.
    public var extraClientAddresses: [IPAddress]
    /// Prefixes the client reaches through the node besides its default route — needed for addresses
    /// inside the LAN prefix that only the node answers for (a LoadBalancer ingress IP like 192.168.50.240).
    public var clientRoutes: [CIDR]
    public var pods: [SandboxPod]
    public var hosts: [SandboxHost]
    /// Ports of an echo server in the node namespace bound to the node's addresses (endpoints on the
    /// node IP, like default/kubernetes on 6443). Empty: no server there.
    public var nodePorts: SandboxPorts

    /// The default LAN: node 192.168.50.10/24 and fd00:50::10/64, client .100 and ::100.
    public static let defaultNodeAddresses = [
        InterfaceAddress(.v4(IPv4Address(192, 168, 50, 10)), prefixLength: 24),
        InterfaceAddress(.v6(IPv6Address(high: 0xfd00_0050_0000_0000, low: 0x10)), prefixLength: 64),
    ]
    public static let defaultClientAddresses = [
        InterfaceAddress(.v4(IPv4Address(192, 168, 50, 100)), prefixLength: 24),
        InterfaceAddress(.v6(IPv6Address(high: 0xfd00_0050_0000_0000, low: 0x100)), prefixLength: 64),
    ]

    public init(
        tag: String, nodeName: String = "node-1", nodeAddresses: [InterfaceAddress] = Self.defaultNodeAddresses,
        clientAddresses: [InterfaceAddress] = Self.defaultClientAddresses, extraClientAddresses: [IPAddress] = [],
        clientRoutes: [CIDR] = [], pods: [SandboxPod] = [], hosts: [SandboxHost] = [], nodePorts: SandboxPorts = SandboxPorts()
    ) {
        self.tag = tag
        self.nodeName = nodeName
        self.nodeAddresses = nodeAddresses
        self.clientAddresses = clientAddresses
        self.extraClientAddresses = extraClientAddresses
        self.clientRoutes = clientRoutes
        self.pods = pods
        self.hosts = hosts
        self.nodePorts = nodePorts
    }

    /// Checks the tag and that no address is claimed twice.
    public func validate() throws(SandboxError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        guard (1...8).contains(tag.count), tag.allSatisfy(allowed.contains) else { throw .invalidTag(tag) }
        var seen = Set<IPAddress>()
        let all = nodeAddresses.map(\.address) + clientAddresses.map(\.address) + extraClientAddresses
            + pods.flatMap(\.addresses) + hosts.map(\.address)
        for address in all where !seen.insert(address).inserted {
            // A host may sit on the client's own address (the client is then also that endpoint).
            if clientAddresses.contains(where: { $0.address == address }), hosts.contains(where: { $0.address == address }) { continue }
            throw .duplicateAddress(address.description)
        }
    }
}
