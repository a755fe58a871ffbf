import SwitchyardModel
import Synchronization

/// The zone a server answers from, kept up to date as the cluster changes: each change is published
/// at once through an ``IncrementalZone``, one publish at a time, in order. A whole build's indexes
/// are made after its zone is published, so the first answers after the lists do not wait for them.
public final class LiveZone: Sendable {
    /// What one publish did.
    public struct Publication: Sendable {
        public var zone: DNSZone
        /// The zone was built whole (the first publish, or a change a partial update cannot follow).
        public var rebuilt: Bool
        /// The overlay of changed names was folded into a new base.
        public var compacted: Bool
        /// The heap bytes of the bases the previous publish's fold replaced, let go by this one
        /// (0: none): their memory is free in the heap.
        public var releasedFoldedBytes: Int
    }

    private let state: Mutex<IncrementalZone>
    private let publish: @Sendable (DNSZone) -> Void

    /// `publish` receives every new zone, in order.
    public convenience init(options: DNSZoneOptions, publish: @escaping @Sendable (DNSZone) -> Void) {
        self.init(zone: IncrementalZone(options: options), publish: publish)
    }

    init(zone: IncrementalZone, publish: @escaping @Sendable (DNSZone) -> Void) {
        state = Mutex(zone)
        self.publish = publish
    }

    /// Publishes the zone for `snapshot`, updated by `changes` (nil: rebuilt whole).
    @discardableResult
    public func update(to snapshot: ClusterSnapshot, changes: ZoneChanges?) -> Publication {
        state.withLock { incremental in
            let zone = incremental.update(to: snapshot, changes: changes)
            publish(zone)
            // After the publish: a whole build's indexes do not delay its first answer.
            incremental.buildIndexesIfPending()
            return Publication(zone: zone, rebuilt: incremental.lastWasRebuild, compacted: incremental.lastWasCompaction,
                               releasedFoldedBytes: incremental.lastReleasedFoldedBytes)
        }
    }
}
