/// The L4 protocol of a Service or EndpointSlice port.
public enum TransportProtocol: String, Sendable, Hashable, CaseIterable, Comparable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// Lowercase name as nft, iptables and DNS SRV labels spell it.
    public var lowercased: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        }
    }

    /// The IANA protocol number (`meta l4proto`).
    public var number: UInt8 {
        switch self {
        case .tcp: 6
        case .udp: 17
        case .sctp: 132
        }
    }

    public static func < (lhs: TransportProtocol, rhs: TransportProtocol) -> Bool {
        lhs.number < rhs.number
    }
}

/// One port of one Service: `namespace/name:portName` plus its protocol, the unit the proxy programs.
public struct ServicePortName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var service: ObjectKey
    public var port: String
    public var `protocol`: TransportProtocol

    public init(service: ObjectKey, port: String, protocol: TransportProtocol) {
        self.service = service
        self.port = port
        self.protocol = `protocol`
    }

    /// kube-proxy's `ServicePortName.String()`: `ns/name:port` (`ns/name` when the port is unnamed).
    public var description: String {
        port.isEmpty ? "\(service)" : "\(service):\(port)"
    }

    public static func < (lhs: ServicePortName, rhs: ServicePortName) -> Bool {
        (lhs.service, lhs.port, lhs.protocol) < (rhs.service, rhs.port, rhs.protocol)
    }
}
