import Crypto
import SwitchyardLB
import SwitchyardModel

/// Stable, readable object names derived from service ports and endpoints, computed in one place.
public enum Names {
    /// Longest hashed name (knftables' 256 minus a 16-character prefix budget), as kube-proxy truncates.
    public static let hashedNameLimit = 240

    /// RFC 4648 base32 (no padding) of `bytes`.
    public static func base32(_ bytes: some Sequence<UInt8>) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return out
    }

    /// base32(sha256(text)).
    public static func hash(_ text: String) -> String { base32(SHA256.hash(data: Array(text.utf8))) }

    /// kube-proxy's `hashAndTruncate`: the first 8 characters of base32(sha256(name)), "-", name; at most 240.
    public static func hashed(_ name: String) -> String {
        String((hash(name).prefix(8) + "-" + name).prefix(hashedNameLimit))
    }

    /// `ns/svc/proto/portName`, the service port's base name in the nftables layout.
    public static func servicePortBase(_ name: ServicePortName) -> String {
        "\(name.service.namespace)/\(name.service.name)/\(name.protocol.lowercased)/\(name.port)"
    }

    /// `ns/svc/proto/portName__ip/port` (IPv6 colons become dots), an endpoint's base name.
    public static func endpointBase(_ name: ServicePortName, _ endpoint: EndpointAddress) -> String {
        servicePortBase(name) + "__" + endpoint.ip.description.replacingColons + "/\(endpoint.port)"
    }

    /// The per-service chains of one service port, both names from one hash of its base name.
    public struct ServicePortChains: Sendable, Hashable {
        /// `service-HASH8-ns/svc/tcp/p80`: the chain over the cluster endpoints.
        public let cluster: String
        /// `local-HASH8-ns/svc/tcp/p80`: the chain over this node's endpoints.
        public let local: String

        public init(_ name: ServicePortName) {
            let hashed = Names.hashed(Names.servicePortBase(name))
            cluster = "service-" + hashed
            local = "local-" + hashed
        }
    }

    /// `rr-service-primary-cluster-HASH8-ns/svc/tcp/p80`: a round-robin Service's dispatch for one
    /// frontend kind, view and endpoint set, whose `numgen inc` is that Service's own counter.
    public static func roundRobinChain(_ name: ServicePortName, kind: FrontendKind, view: DispatchView, local: Bool) -> String {
        "rr-\(kind.rawValue)-\(view.rawValue)-\(local ? "local" : "cluster")-" + hashed(servicePortBase(name))
    }

    /// `service-HASH8-ns/svc/tcp/p80`: the per-service chain over the cluster endpoints.
    public static func serviceChain(_ name: ServicePortName) -> String { ServicePortChains(name).cluster }
    /// `affinity-HASH8-ns/svc/tcp/p80__10.0.0.1/80`: the dynamic set of clients stuck to an endpoint.
    public static func affinitySet(_ name: ServicePortName, _ endpoint: EndpointAddress) -> String {
        "affinity-" + hashed(endpointBase(name, endpoint))
    }

    // MARK: iptables mode

    /// kube-proxy's iptables chain hash: base32(sha256("ns/name:port" + proto))[:16].
    public static func iptablesHash(_ name: ServicePortName) -> String {
        String(hash(iptablesPortString(name) + name.protocol.lowercased).prefix(16))
    }

    /// `ns/name:port` (or `ns/name` for an unnamed port), as `ServicePortName.String()` prints it.
    public static func iptablesPortString(_ name: ServicePortName) -> String {
        name.port.isEmpty ? "\(name.service.namespace)/\(name.service.name)" : "\(name.service.namespace)/\(name.service.name):\(name.port)"
    }

    public static func iptablesServiceChain(_ name: ServicePortName) -> String { "KUBE-SVC-" + iptablesHash(name) }
    public static func iptablesLocalChain(_ name: ServicePortName) -> String { "KUBE-SVL-" + iptablesHash(name) }
    public static func iptablesExternalChain(_ name: ServicePortName) -> String { "KUBE-EXT-" + iptablesHash(name) }
    public static func iptablesFirewallChain(_ name: ServicePortName) -> String { "KUBE-FW-" + iptablesHash(name) }
    /// `KUBE-SEP-` + base32(sha256("ns/name:port" + proto + "ip:port"))[:16].
    public static func iptablesEndpointChain(_ name: ServicePortName, _ endpoint: EndpointAddress) -> String {
        "KUBE-SEP-" + String(hash(iptablesPortString(name) + name.protocol.lowercased + endpoint.description).prefix(16))
    }
}

extension String {
    var replacingColons: String { String(map { $0 == ":" ? "." : $0 }) }
}
