import SwitchyardModel

/// Which addresses of this node accept NodePort traffic (`--nodeport-addresses`).
public enum NodePortAddresses: Sendable, Hashable, CustomStringConvertible {
    /// The Node object's primary IPs (first InternalIP of each family), kube-proxy nftables' default.
    case primary
    /// Every host address (``ProxyConfig/hostAddresses``) inside one of these prefixes. Loopback
    /// addresses count only when a listed prefix lies inside loopback itself (`127.0.0.0/8`, `::1/128`);
    /// `0.0.0.0/0` does not open NodePorts on 127.0.0.1.
    case cidrs([CIDR])

    /// The default, `primary`.
    public static let `default`: NodePortAddresses = .primary

    /// Parses the flag's values: the keyword `primary`, or CIDRs (each value may be comma-separated).
    /// An empty list means the default.
    public init(parsing values: [String]) throws(ProxyConfigError) {
        let items = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        if items.isEmpty || items == ["primary"] {
            self = .primary
            return
        }
        var cidrs: [CIDR] = []
        for item in items {
            if item == "primary" { throw .primaryMixedWithCIDRs(values) }
            guard let cidr = CIDR(item) else { throw .invalidNodePortAddress(item) }
            cidrs.append(cidr)
        }
        self = .cidrs(cidrs)
    }

    public var description: String {
        switch self {
        case .primary: "primary"
        case .cidrs(let cidrs): cidrs.map(\.description).joined(separator: ",")
        }
    }
}

/// How big a Maglev lookup table is for N endpoints.
///
/// M is taken from a fixed ladder of primes, the largest prime below each power of two from 2^5 to
/// 2^24 (31, 61, 127, 251, 509, 1021, …, 65521, …; Cilium offers the same values): the smallest rung
/// ≥ max(`slotsPerEndpoint`·N, `minimumSize`), but not above the largest rung ≤ `maximumSize`.
///
/// Why a ladder: the slot is `hash mod M`, so a change of M remaps every flow. With the ladder, M stays
/// put while N moves inside a factor of two, which is what makes Maglev consistent when an endpoint
/// comes or goes; crossing a rung (e.g. 15 → 16 endpoints at 8 slots each) reshuffles once.
/// Each endpoint gets ⌊M/N⌋ or ⌈M/N⌉ slots, and M/N ≥ `slotsPerEndpoint`, so the share error is at
/// most 1/`slotsPerEndpoint`. Every slot is one kernel map element; see docs/load-balancing.md for the
/// cost at 10k services. `minimumSize == maximumSize` gives one fixed M for every service (Cilium style).
public struct MaglevSizing: Sendable, Hashable {
    /// The least M/N wanted (the share error is at most its inverse).
    public var slotsPerEndpoint: Int
    /// The smallest M, rounded up to a rung of ``ladder``.
    public var minimumSize: Int
    /// The largest M: the largest rung of ``ladder`` not above it.
    public var maximumSize: Int

    /// At least 8 slots per endpoint (≤ 12.5% share error), M between 31 and 65,521.
    public static let `default` = MaglevSizing(slotsPerEndpoint: 8, minimumSize: 31, maximumSize: 65_521)

    /// The permitted table sizes: the largest prime below 2^b for b = 5…24.
    public static let ladder: [Int] = [
        31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521,
        131_071, 262_139, 524_287, 1_048_573, 2_097_143, 4_194_301, 8_388_593, 16_777_213,
    ]

    public init(slotsPerEndpoint: Int, minimumSize: Int, maximumSize: Int) {
        self.slotsPerEndpoint = slotsPerEndpoint
        self.minimumSize = minimumSize
        self.maximumSize = maximumSize
    }

    /// The prime table size M for `endpointCount` endpoints (0 when there are none).
    public func tableSize(for endpointCount: Int) -> Int {
        guard endpointCount > 0 else { return 0 }
        let product = slotsPerEndpoint.multipliedReportingOverflow(by: endpointCount)
        let wanted = max(minimumSize, product.overflow ? Int.max : product.partialValue)
        let ceiling = Self.ladder.last { $0 <= maximumSize } ?? Self.ladder[0]
        return min(Self.ladder.first { $0 >= wanted } ?? ceiling, ceiling)
    }

    func validate() throws(ProxyConfigError) {
        guard slotsPerEndpoint >= 1, minimumSize <= maximumSize, maximumSize >= Self.ladder[0],
              maximumSize <= 1 << 24
        else { throw .invalidMaglevSizing(self) }
    }
}

/// Everything the planner needs to know about this node and its proxy settings. A value: the daemon
/// builds it from flags (and the host's addresses), tests build it literally.
public struct ProxyConfig: Sendable, Hashable {
    /// This node's name: endpoints with this `nodeName` are local; the Node object of this name gives
    /// the zone (topology) and primary IPs (NodePorts, source ranges).
    public var nodeName: String
    /// `--nodeport-addresses`.
    public var nodePortAddresses: NodePortAddresses
    /// The host's own interface addresses, used only to resolve ``NodePortAddresses/cidrs(_:)``.
    /// Reading them is I/O, so the daemon fills this in; empty offline.
    public var hostAddresses: [IPAddress]
    /// `--cluster-cidr`: sources inside are pods (local traffic); others reaching a ClusterIP are
    /// masqueraded. Empty disables the detection (only masqueradeAll then masquerades ClusterIP traffic).
    public var clusterCIDRs: [CIDR]
    /// `--masquerade-all`: masquerade every packet sent to a ClusterIP.
    public var masqueradeAll: Bool
    /// The packet-mark bit that requests masquerade (default 14 → `0x4000`).
    public var masqueradeBit: Int
    /// `--dispatch`.
    public var dispatch: DispatchModel
    /// Table size policy for ``DispatchModel/maglev``.
    public var maglevSizing: MaglevSizing
    /// `--service-proxy-name`: program exactly the Services labelled
    /// `service.kubernetes.io/service-proxy-name=NAME` (nil: those without the label, as kube-proxy
    /// does), so Switchyard and kube-proxy can share a cluster Service by Service.
    public var serviceProxyName: String?
    /// `--service-cidr`: the ranges ClusterIPs are allocated from. Traffic to an address inside that
    /// no Service holds is dropped, as kube-proxy drops it; empty disables the check.
    public var serviceCIDRs: [CIDR] = []
    /// `--maglev-hash-flows`: Maglev hashes the client address and port (per flow, as `sourcehash`
    /// spreads one client's flows) instead of the client address (a client keeps its endpoint).
    public var maglevHashesFlows = false
    /// `--detect-local-mode`: which sources are this cluster's pods (not masqueraded to a ClusterIP,
    /// short-circuit ETP Local): `--cluster-cidr`, or this node's `spec.podCIDRs`.
    public var detectLocal: LocalTrafficDetection = .clusterCIDR
    /// `--dns-cluster-ip-service`: queries that pods send to this Service's ClusterIPs on port 53
    /// (UDP and TCP) are delivered to this node's DNS while it has a socket there, and go to the
    /// Service's endpoints otherwise. nil: off.
    public var localDNS: LocalDNSDelivery?

    public init(
        nodeName: String, nodePortAddresses: NodePortAddresses = .primary, hostAddresses: [IPAddress] = [],
        clusterCIDRs: [CIDR] = [], masqueradeAll: Bool = false, masqueradeBit: Int = 14,
        dispatch: DispatchModel = .default, maglevSizing: MaglevSizing = .default, serviceProxyName: String? = nil
    ) {
        self.serviceProxyName = serviceProxyName
        self.nodeName = nodeName
        self.nodePortAddresses = nodePortAddresses
        self.hostAddresses = hostAddresses
        self.clusterCIDRs = clusterCIDRs
        self.masqueradeAll = masqueradeAll
        self.masqueradeBit = masqueradeBit
        self.dispatch = dispatch
        self.maglevSizing = maglevSizing
    }

    /// The mark and routing of node-local DNS delivery, when on.
    public struct LocalDNSDelivery: Sendable, Hashable {
        /// The Service whose ClusterIPs are answered on the node (kube-dns).
        public var service: ObjectKey
        /// The packet-mark bit that sends a query to the local socket (policy routing, and no DNAT).
        public var markBit: Int

        /// Bit 12 (`0x1000`): kube-proxy uses 14 and 15, Calico 16-31, Cilium 8-11.
        public static let defaultMarkBit = 12
        /// `1 << defaultMarkBit`.
        public static let defaultMark = UInt32(1) << UInt32(defaultMarkBit)
        /// The port served.
        public static let port: UInt16 = 53

        public init(service: ObjectKey, markBit: Int = defaultMarkBit) {
            self.service = service
            self.markBit = markBit
        }

        /// `1 << markBit`.
        public var mark: UInt32 { UInt32(1) << UInt32(clamping: markBit) }
    }

    /// `1 << masqueradeBit`, e.g. `0x4000`.
    public var masqueradeMark: UInt32 { UInt32(1) << UInt32(clamping: masqueradeBit) }

    /// The cluster CIDRs of one family (local-traffic detection per table).
    public func clusterCIDRs(of family: IPFamily) -> [CIDR] {
        clusterCIDRs.filter { $0.family == family }
    }

    /// The sources taken for pods in one family (``detectLocal``): the cluster CIDRs, or the node's
    /// pod CIDRs.
    public func localTrafficCIDRs(of family: IPFamily, node: NodeContext) -> [CIDR] {
        switch detectLocal {
        case .clusterCIDR: clusterCIDRs(of: family)
        case .nodeCIDR: node.podCIDRs.filter { $0.family == family }
        }
    }

    /// Checks the fields that can be wrong; throws the first problem found.
    public func validate() throws(ProxyConfigError) {
        guard !nodeName.isEmpty else { throw .emptyNodeName }
        guard (0...31).contains(masqueradeBit) else { throw .invalidMasqueradeBit(masqueradeBit) }
        if let localDNS {
            guard (0...31).contains(localDNS.markBit), localDNS.markBit != masqueradeBit else {
                throw .invalidLocalDNSMarkBit(localDNS.markBit)
            }
        }
        try maglevSizing.validate()
    }
}

/// kube-proxy's `detectLocalMode`, as far as Switchyard implements it.
public enum LocalTrafficDetection: String, Sendable, Hashable, CaseIterable {
    /// Pods are the sources inside `--cluster-cidr` (kube-proxy's default).
    case clusterCIDR = "ClusterCIDR"
    /// Pods are the sources inside this node's `spec.podCIDRs` (each node knows only its own).
    case nodeCIDR = "NodeCIDR"
}

/// A configuration value that cannot be used, with the offending input.
public enum ProxyConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case emptyNodeName
    case invalidMasqueradeBit(Int)
    case invalidLocalDNSMarkBit(Int)
    case invalidNodePortAddress(String)
    case primaryMixedWithCIDRs([String])
    case unknownDispatchModel(String)
    case invalidMaglevSizing(MaglevSizing)

    public var description: String {
        switch self {
        case .emptyNodeName:
            "node name is empty"
        case .invalidMasqueradeBit(let bit):
            "masquerade bit \(bit) is outside 0...31"
        case .invalidLocalDNSMarkBit(let bit):
            "node-local DNS mark bit \(bit) is outside 0...31 or is the masquerade bit"
        case .invalidNodePortAddress(let text):
            "--nodeport-addresses: '\(text)' is neither 'primary' nor a CIDR"
        case .primaryMixedWithCIDRs(let values):
            "--nodeport-addresses: 'primary' cannot be combined with CIDRs (\(values.joined(separator: ",")))"
        case .unknownDispatchModel(let text):
            "--dispatch: unknown model '\(text)' (expected one of \(DispatchModel.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidMaglevSizing(let sizing):
            "Maglev sizing needs slotsPerEndpoint ≥ 1 and minimumSize ≤ maximumSize, 31 ≤ maximumSize ≤ 2^24, got "
                + "\(sizing.slotsPerEndpoint)/\(sizing.minimumSize)/\(sizing.maximumSize)"
        }
    }
}

extension DispatchModel {
    /// Parses the CLI spelling, with a typed error naming the bad value.
    public init(parsing text: String) throws(ProxyConfigError) {
        guard let model = DispatchModel(rawValue: text.lowercased()) else { throw .unknownDispatchModel(text) }
        self = model
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
