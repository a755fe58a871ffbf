import SwitchyardModel

/// An immutable index of everything the DNS server answers from, built once from a `ClusterSnapshot`
/// and published whole. Lookups are a hash of the lowercased query name; answers are precomputed wire
/// bytes, so answering allocates nothing per record.
public final class DNSZone: Sendable {
    /// The IPv4 reverse zone.
    public static let inAddrArpa = DNSName(uncheckedWire: [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0])
    /// The IPv6 reverse zone.
    public static let ip6Arpa = DNSName(uncheckedWire: [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0])

    public let options: DNSZoneOptions
    /// False for the zone served before the first sync: names not found answer SERVFAIL.
    public let isSynced: Bool
    public let serial: UInt32
    /// Forward zones, then in-addr.arpa and ip6.arpa: lowercased wire names.
    let origins: [[UInt8]]
    let soa: [SOATemplate]
    /// The names: a base table plus the names changed since it was built.
    let nodes: ZoneIndex
    /// Pod IPs by namespace, only for `pods verified`.
    let podIPs: [String: Set<IPAddress>]

    init(
        options: DNSZoneOptions, isSynced: Bool, serial: UInt32, nodes: ZoneIndex,
        podIPs: [String: Set<IPAddress>]
    ) {
        self.options = options
        self.isSynced = isSynced
        self.serial = serial
        self.origins = (options.zones + [Self.inAddrArpa, Self.ip6Arpa]).map(\.wire)
        self.soa = origins.map { origin in
            let name = DNSName(uncheckedWire: origin)
            let data = DNSZone.soaData(origin: name, serial: serial, ttl: options.ttl)
            return SOATemplate(soa: data, ttl: min(options.ttl, 300))
        }
        self.nodes = nodes
        self.podIPs = podIPs
    }

    /// The zone answered before the first sync: only the apex records exist; other names in the
    /// cluster zones get SERVFAIL.
    public static func notSynced(options: DNSZoneOptions) -> DNSZone {
        var builder = ZoneBuilder(options: options)
        let built = builder.build(snapshot: nil)
        return DNSZone(options: built.options, isSynced: false, serial: built.serial, nodes: built.nodes, podIPs: [:])
    }

    /// Builds the zone from a snapshot. `options` should have passed `validated()`.
    public convenience init(snapshot: ClusterSnapshot, options: DNSZoneOptions = DNSZoneOptions()) {
        var builder = ZoneBuilder(options: options)
        let built = builder.build(snapshot: snapshot)
        self.init(
            options: built.options, isSynced: true, serial: built.serial, nodes: built.nodes, podIPs: built.podIPs)
    }

    /// How many names the zone holds.
    public var nameCount: Int { nodes.count }

    /// Bytes held by the names and their answers.
    public var storageBytes: Int { nodes.storageBytes }

    /// The SOA data of an origin.
    static func soaData(origin: DNSName, serial: UInt32, ttl: UInt32) -> SOAData {
        SOAData(
            mname: origin.prepending("dns")?.prepending("ns") ?? origin,
            rname: origin.prepending("hostmaster") ?? origin,
            serial: serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl)
    }

    /// Which origin a lowercased wire name falls in, if any.
    @inline(__always) func origin(of lower: [UInt8]) -> Int? {
        for (index, origin) in origins.enumerated() where Self.hasSuffix(lower, origin) {
            return index
        }
        return nil
    }

    /// Whether `name` ends with `suffix` on a label boundary (both lowercased wire).
    static func hasSuffix(_ name: [UInt8], _ suffix: [UInt8]) -> Bool {
        let offset = name.count - suffix.count
        guard offset >= 0 else { return false }
        var i = 0
        while i < offset { i += 1 + Int(name[i]) }
        guard i == offset else { return false }
        return name.withUnsafeBufferPointer { n in
            suffix.withUnsafeBufferPointer { s in
                for j in 0..<s.count where n[offset + j] != s[j] { return false }
                return true
            }
        }
    }

    var forwardZoneCount: Int { options.zones.count }

    /// Whether an origin index is one of the reverse zones.
    func isReverse(_ origin: Int) -> Bool { origin >= forwardZoneCount }
}
