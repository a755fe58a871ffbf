import SwitchyardModel

/// One address, transport protocol and port at which a Service port is reached: what a userspace
/// listener binds and what the userspace steering table delivers to it.
public struct ServiceFrontend: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: Int
    public var proto: TransportProtocol

    public init(address: IPAddress, port: Int, proto: TransportProtocol) {
        self.address = address
        self.port = port
        self.proto = proto
    }

    /// `tcp 10.96.0.1:443`, `udp [fd00::a]:53`.
    public var description: String {
        "\(proto.rawValue.lowercased()) \(address.family == .ipv6 ? "[\(address)]" : "\(address)"):\(port)"
    }

    public static func < (lhs: ServiceFrontend, rhs: ServiceFrontend) -> Bool {
        (lhs.address, lhs.proto.rawValue, lhs.port) < (rhs.address, rhs.proto.rawValue, rhs.port)
    }
}

extension ServicePortPlan {
    /// The frontends reached at the Service's own addresses: the ClusterIP, the externalIPs and the
    /// load-balancer IPs at ``port`` (NodePorts are reached at the node's addresses instead).
    public var addressFrontends: [ServiceFrontend] {
        ([clusterIP] + externalIPs + loadBalancerIPs).map { ServiceFrontend(address: $0, port: port, proto: self.protocol) }
    }
}
