import Synchronization

/// The zone being served, swapped whole. A query loads it once; publishing a new zone never blocks
/// on or disturbs queries in flight (they keep the zone they loaded).
public final class ZoneHolder: Sendable {
    private let zone: Mutex<DNSZone>

    public init(_ zone: DNSZone) {
        self.zone = Mutex(zone)
    }

    /// The zone to answer the next query from.
    public var current: DNSZone { zone.withLock { $0 } }

    /// Replaces the zone for every query that starts after this returns.
    public func publish(_ newZone: DNSZone) {
        zone.withLock { $0 = newZone }
    }
}
