import SwitchyardModel

/// Why a master file could not be written.
public enum MasterFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The zone index is not one of the options' forward zones.
    case noSuchZone(index: Int, zoneCount: Int)

    public var description: String {
        switch self {
        case .noSuchZone(let index, let count): "zone index \(index) is outside the \(count) configured zones"
        }
    }
}

/// A forward zone's records as an RFC 1035 master file, so that another authoritative server
/// (Knot DNS, NSD) can serve exactly the records `DNSZone` would answer from the same snapshot: the
/// benchmark's reference. One record per line with absolute owner names, explicit TTL and class.
///
/// A master file states records only, so it cannot carry what the server decides at query time:
/// names that exist without records (`<ns>.pod.<zone>`, a NS host without addresses) are missing
/// unless they have descendants, pod names (`<dashed-ip>.<ns>.pod.<zone>`) are not listed, an
/// ExternalName is its CNAME alone (the other server chases it), and the reverse zones are not part
/// of a forward zone's file.
public enum MasterFile {
    /// The master file text of forward zone `zone` (an index into `options.zones`) built from
    /// `snapshot` with `options` (which should have passed `validated()`).
    public static func text(
        snapshot: ClusterSnapshot, options: DNSZoneOptions = DNSZoneOptions(), zone: Int = 0
    ) throws(MasterFileError) -> String {
        guard options.zones.indices.contains(zone) else {
            throw .noSuchZone(index: zone, zoneCount: options.zones.count)
        }
        var builder = ZoneBuilder(options: options)
        let records = builder.masterRecords(snapshot: snapshot, origin: zone)
        var text = "; \(options.zones[zone]) as switchyard serves it: \(records.count) records\n"
        text += "$ORIGIN \(options.zones[zone])\n"
        text.reserveCapacity(records.count * 72)
        for record in records {
            text += record.description
            text += "\n"
        }
        return text
    }
}
