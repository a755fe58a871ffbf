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

    /// Replaces the zone for every query that starts after this returns. The zone replaced is
    /// released after the lock, on the caller's thread: freeing a folded-away zone (its arena and
    /// overlay, thousands of blocks) inside it would hold every query for as long.
    public func publish(_ newZone: DNSZone) {
        let replaced = zone.withLock { current in
            defer { current = newZone }
            return current
        }
        _ = consume replaced
    }
}
