import SwitchyardModel

/// How `<dashed-ip>.<ns>.pod.<zone>` names are answered (CoreDNS's `pods` option).
public enum PodsMode: String, Sendable, Hashable, CaseIterable {
    /// Every pod name is NXDOMAIN.
    case disabled
    /// Any well-formed IP in an existing namespace answers (kube-dns compatible; kubeadm's default).
    case insecure
    /// Answers only when a Pod with that IP exists in that namespace.
    case verified
}

/// Why zone options were rejected.
public enum DNSZoneOptionsError: Error, Hashable, Sendable, CustomStringConvertible {
    case ttlOutOfRange(Int)
    case noZones
    case overlappingZones(DNSName, DNSName)

    public var description: String {
        switch self {
        case .ttlOutOfRange(let ttl): "ttl \(ttl) is outside 0...3600"
        case .noZones: "at least one zone is needed"
        case .overlappingZones(let a, let b): "zones \(a) and \(b) overlap"
        }
    }
}

/// What the zone is built with. A value; validated once by `validated()`.
public struct DNSZoneOptions: Sendable, Hashable {
    /// Forward zones, lowercased; the first is the primary one (PTR targets use it).
    public var zones: [DNSName]
    /// TTL of every record but dns-version (0...3600); also the SOA minimum (negative TTL).
    public var ttl: UInt32
    public var pods: PodsMode
    /// A ClusterIP Service with no ready endpoint answers NXDOMAIN.
    public var ignoreEmptyService: Bool
    /// Endpoint names use the targetRef pod name when the endpoint has no hostname.
    public var endpointPodNames: Bool
    /// The SOA serial; nil uses the snapshot's generation.
    public var serial: UInt32?
    /// Addresses published for `ns.dns.<zone>` (the NS glue). May be empty.
    public var nameserverAddresses: [IPAddress]
    /// PTR names not found in the cluster go to the upstream (kubeadm's `fallthrough in-addr.arpa
    /// ip6.arpa`) instead of NXDOMAIN.
    public var reverseFallthrough: Bool
    /// About how many names each shard of the zone's table holds (``ZoneIndex``): a fold of changes
    /// into a new base copies one shard, not the zone. Tests make it small to shard small zones.
    var namesPerShard = ZoneIndex.namesPerShard

    /// The default cluster zone.
    public static let clusterLocal = DNSName(uncheckedWire: [7] + Array("cluster".utf8) + [5] + Array("local".utf8) + [0])

    public init(
        zones: [DNSName] = [DNSZoneOptions.clusterLocal], ttl: UInt32 = 30, pods: PodsMode = .insecure,
        ignoreEmptyService: Bool = false, endpointPodNames: Bool = false, serial: UInt32? = nil,
        nameserverAddresses: [IPAddress] = [], reverseFallthrough: Bool = false
    ) {
        self.zones = zones.map { $0.lowercased() }
        self.ttl = ttl
        self.pods = pods
        self.ignoreEmptyService = ignoreEmptyService
        self.endpointPodNames = endpointPodNames
        self.serial = serial
        self.nameserverAddresses = nameserverAddresses
        self.reverseFallthrough = reverseFallthrough
    }

    /// Checks the ranges and that no zone contains another.
    public func validated() throws(DNSZoneOptionsError) -> DNSZoneOptions {
        guard ttl <= 3600 else { throw .ttlOutOfRange(Int(ttl)) }
        guard !zones.isEmpty else { throw .noZones }
        let all = zones + [DNSZone.inAddrArpa, DNSZone.ip6Arpa]
        for (i, a) in all.enumerated() {
            for b in all[(i + 1)...] where a.isSubdomain(of: b) || b.isSubdomain(of: a) {
                throw .overlappingZones(a, b)
            }
        }
        return self
    }
}
