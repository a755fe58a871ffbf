import SwitchyardModel

/// The names and the `ip` commands of a sandbox, computed from its configuration without touching
/// the kernel, so they can be printed (`switchyard sandbox up --dry-run`) and tested.
///
/// Topology: the client's `eth0` and the node's `eth0` are a veth pair (the LAN). Every pod's `eth0`
/// pairs with `veth<N>` in the node namespace; the node holds a host route to each pod address there
/// and the link-scoped gateway addresses 169.254.1.1 and fe80::1, which the pods' default routes use.
/// The node forwards both families and has a default route into `sink0`, where packets to addresses
/// nobody serves vanish. IPv6 duplicate address detection is off everywhere.
public struct SandboxLayout: Sendable, Hashable {
    /// `sy-<tag>-`: every namespace starts with it, and cleanup removes everything that does.
    public let prefix: String
    public let node: String
    public let client: String
    /// Pod namespaces, in the configuration's pod order (`sy-<tag>-p1`, `-p2`, …).
    public let pods: [PodPlacement]

    /// Where one pod lives: its namespace and the node-side end of its veth pair.
    public struct PodPlacement: Sendable, Hashable {
        public var pod: SandboxPod
        public var namespace: String
        /// The interface in the node namespace that leads to the pod (`veth<N>`).
        public var nodeInterface: String
    }

    /// The IPv4 gateway the pods route through (an address of every pod-facing veth in the node).
    public static let podGatewayV4 = IPAddress.v4(IPv4Address(169, 254, 1, 1))
    /// The IPv6 gateway the pods route through (link-local on every pod-facing veth in the node).
    public static let podGatewayV6 = IPAddress.v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 1))

    /// The node's default gateways: nobody; frames to them are dropped inside the node.
    static let sinkGatewayV4 = IPAddress.v4(IPv4Address(169, 254, 255, 1))
    static let sinkGatewayV6 = IPAddress.v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 0xff))
    static let sinkMAC = "02:00:00:00:00:01"

    let configuration: SandboxConfiguration

    public init(_ configuration: SandboxConfiguration) {
        self.configuration = configuration
        let prefix = Self.prefix(tag: configuration.tag)
        self.prefix = prefix
        node = prefix + "node"
        client = prefix + "client"
        pods = configuration.pods.enumerated().map { index, pod in
            PodPlacement(pod: pod, namespace: "\(prefix)p\(index + 1)", nodeInterface: "veth\(index + 1)")
        }
    }

    /// The namespace prefix of a tag.
    public static func prefix(tag: String) -> String { "sy-\(tag)-" }

    /// Every namespace: node, client, then the pods.
    public var namespaces: [String] { [node, client] + pods.map(\.namespace) }

    /// Addresses on the client besides its primary ones: hosts and extra sources.
    var clientExtraAddresses: [IPAddress] {
        let primary = Set(configuration.clientAddresses.map(\.address))
        var seen = Set<IPAddress>()
        return (configuration.hosts.map(\.address) + configuration.extraClientAddresses)
            .filter { !primary.contains($0) && seen.insert($0).inserted }
    }

    /// The whole bring-up as one `sh -e` script: create the namespaces, set sysctls, then one
    /// `ip -n NS -batch` per namespace. It touches nothing outside the namespaces it creates.
    public var setupScript: String {
        var lines = ["set -e", "ip -batch - <<'EOF'"]
        lines += namespaces.map { "netns add \($0)" }
        lines.append("EOF")
        let quiet = ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                     "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"]
        lines.append("ip netns exec \(node) sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 " + quiet.joined(separator: " "))
        for namespace in namespaces.dropFirst() {
            lines.append("ip netns exec \(namespace) sysctl -qw " + quiet.joined(separator: " "))
        }
        for (namespace, commands) in [(node, nodeCommands), (client, clientCommands)] + pods.map({ ($0.namespace, podCommands($0.pod)) }) {
            lines.append("ip -n \(namespace) -batch - <<'EOF'")
            lines += commands
            lines.append("EOF")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `ip` batch lines for the node namespace.
    var nodeCommands: [String] {
        // Like a real node, a default route, so an address nobody serves (a service IP without rules)
        // times out instead of coming back unreachable, and rules in the forward hook see every
        // packet. It leads into a veth pair inside the node whose far end drops the frames (they are
        // addressed to a MAC it does not have); the gateway's neighbour entry is static, so no ARP.
        var lines = ["link set lo up", "link add sink0 type veth peer name sink1", "link set sink1 up", "link set sink0 up",
                     "neigh add \(Self.sinkGatewayV4) lladdr \(Self.sinkMAC) dev sink0 nud permanent",
                     "route add default via \(Self.sinkGatewayV4) dev sink0 onlink",
                     "neigh add \(Self.sinkGatewayV6) lladdr \(Self.sinkMAC) dev sink0 nud permanent",
                     "route add default via \(Self.sinkGatewayV6) dev sink0"]
        lines.append("link add eth0 type veth peer name eth0 netns \(client)")
        lines += configuration.nodeAddresses.map { "addr add \($0) dev eth0\(nodad($0.address))" }
        lines.append("link set eth0 up")
        for address in clientExtraAddresses {
            guard let via = configuration.clientAddresses.first(where: { $0.family == address.family }) else { continue }
            lines.append("route add \(CIDR(host: address)) via \(via.address) dev eth0")
        }
        for placement in pods {
            let interface = placement.nodeInterface
            lines.append("link add \(interface) type veth peer name eth0 netns \(placement.namespace)")
            lines.append("addr add \(Self.podGatewayV4)/32 dev \(interface) scope link")
            lines.append("addr add \(Self.podGatewayV6)/64 dev \(interface) nodad")
            lines.append("link set \(interface) up")
            lines += placement.pod.addresses.map { "route add \(CIDR(host: $0)) dev \(interface)" }
        }
        return lines
    }

    /// `ip` batch lines for the client namespace.
    var clientCommands: [String] {
        var lines = ["link set lo up"]
        lines += configuration.clientAddresses.map { "addr add \($0) dev eth0\(nodad($0.address))" }
        lines += clientExtraAddresses.map { "addr add \(CIDR(host: $0)) dev eth0\(nodad($0))" }
        lines.append("link set eth0 up")
        for family in IPFamily.allCases {
            guard let gateway = configuration.nodeAddresses.first(where: { $0.family == family }),
                  configuration.clientAddresses.contains(where: { $0.family == family })
            else { continue }
            lines.append("route add default via \(gateway.address) dev eth0")
            for route in configuration.clientRoutes where route.family == family {
                lines.append("route add \(route) via \(gateway.address) dev eth0")
            }
        }
        return lines
    }

    /// `ip` batch lines for one pod namespace (its `eth0` already exists: the node created the pair).
    func podCommands(_ pod: SandboxPod) -> [String] {
        var lines = ["link set lo up"]
        lines += pod.addresses.map { "addr add \(CIDR(host: $0)) dev eth0\(nodad($0))" }
        lines.append("link set eth0 up")
        if pod.addresses.contains(where: { $0.family == .ipv4 }) {
            lines.append("route add default via \(Self.podGatewayV4) dev eth0 onlink")
        }
        if pod.addresses.contains(where: { $0.family == .ipv6 }) {
            lines.append("route add default via \(Self.podGatewayV6) dev eth0")
        }
        return lines
    }

    private func nodad(_ address: IPAddress) -> String { address.family == .ipv6 ? " nodad" : "" }
}
