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

/// How big a Maglev lookup table is for N endpoints: the smallest prime M ≥ `slotsPerEndpoint`·N,
/// at least `minimumSize`, and at most `maximumSize` (then the largest prime ≤ `maximumSize`).
///
/// Each endpoint gets ⌊M/N⌋ or ⌈M/N⌉ slots, so the share error is below 1/`slotsPerEndpoint`; more
/// slots per endpoint also bring removals closer to the ideal "only the removed endpoint's flows move".
/// Every slot is one kernel map element: see docs/load-balancing.md for the cost at 10k services.
public struct MaglevSizing: Sendable, Hashable {
    public var slotsPerEndpoint: Int
    public var minimumSize: Int
    public var maximumSize: Int

    /// 16 slots per endpoint (≤ 6.25% share error), between 17 and 65,521 (the largest prime < 2^16).
    public static let `default` = MaglevSizing(slotsPerEndpoint: 16, minimumSize: 17, maximumSize: 65_521)

    public init(slotsPerEndpoint: Int, minimumSize: Int, maximumSize: Int) {
        self.slotsPerEndpoint = slotsPerEndpoint
        self.minimumSize = minimumSize
        self.maximumSize = maximumSize
    }

    /// The prime table size M for `endpointCount` endpoints (0 when there are none).
    public func tableSize(for endpointCount: Int) -> Int {
        guard endpointCount > 0 else { return 0 }
        let wanted = max(minimumSize, slotsPerEndpoint.multipliedReportingOverflow(by: endpointCount).partialValue)
        let capped = min(max(wanted, 2), maximumSize)
        if capped < wanted { return Primes.largest(atMost: maximumSize) ?? 2 }
        return Primes.smallest(atLeast: capped)
    }

    func validate() throws(ProxyConfigError) {
        guard slotsPerEndpoint >= 1, minimumSize >= 2, maximumSize >= minimumSize, maximumSize <= 1 << 24 else {
            throw .invalidMaglevSizing(self)
        }
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

    public init(
        nodeName: String, nodePortAddresses: NodePortAddresses = .primary, hostAddresses: [IPAddress] = [],
        clusterCIDRs: [CIDR] = [], masqueradeAll: Bool = false, masqueradeBit: Int = 14,
        dispatch: DispatchModel = .default, maglevSizing: MaglevSizing = .default
    ) {
        self.nodeName = nodeName
        self.nodePortAddresses = nodePortAddresses
        self.hostAddresses = hostAddresses
        self.clusterCIDRs = clusterCIDRs
        self.masqueradeAll = masqueradeAll
        self.masqueradeBit = masqueradeBit
        self.dispatch = dispatch
        self.maglevSizing = maglevSizing
    }

    /// `1 << masqueradeBit`, e.g. `0x4000`.
    public var masqueradeMark: UInt32 { UInt32(1) << UInt32(clamping: masqueradeBit) }

    /// The cluster CIDRs of one family (local-traffic detection per table).
    public func clusterCIDRs(of family: IPFamily) -> [CIDR] {
        clusterCIDRs.filter { $0.family == family }
    }

    /// Checks the fields that can be wrong; throws the first problem found.
    public func validate() throws(ProxyConfigError) {
        guard !nodeName.isEmpty else { throw .emptyNodeName }
        guard (0...31).contains(masqueradeBit) else { throw .invalidMasqueradeBit(masqueradeBit) }
        try maglevSizing.validate()
    }
}

/// A configuration value that cannot be used, with the offending input.
public enum ProxyConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case emptyNodeName
    case invalidMasqueradeBit(Int)
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
        case .invalidNodePortAddress(let text):
            "--nodeport-addresses: '\(text)' is neither 'primary' nor a CIDR"
        case .primaryMixedWithCIDRs(let values):
            "--nodeport-addresses: 'primary' cannot be combined with CIDRs (\(values.joined(separator: ",")))"
        case .unknownDispatchModel(let text):
            "--dispatch: unknown model '\(text)' (expected one of \(DispatchModel.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidMaglevSizing(let sizing):
            "Maglev sizing needs slotsPerEndpoint ≥ 1 and 2 ≤ minimumSize ≤ maximumSize ≤ 2^24, got "
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
