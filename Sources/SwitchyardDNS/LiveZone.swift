import SwitchyardModel
import Synchronization

/// The zone a server answers from, kept up to date as the cluster changes: each change is published
/// at once through an ``IncrementalZone``; when its overlay of changed names needs folding into a
/// new base, the rebuild runs in the background while changes keep being published, and the rebuilt
/// zone catches up with them before it replaces the live one. So no change waits for a rebuild,
/// except the very first build (there is nothing to answer from before it).
public final class LiveZone: Sendable {
    private struct State {
        var zone: IncrementalZone
        /// A background rebuild is running; the changes published since it started.
        var compacting = false
        var sinceCompaction = ZoneChanges()
        /// The live zone was rebuilt whole while the background rebuild ran: drop the latter.
        var compactionObsolete = false
        var latest: ClusterSnapshot?
    }

    /// What one publish did.
    public struct Publication: Sendable {
        public var zone: DNSZone
        /// The zone was built whole (the first publish, or a change a partial update cannot follow).
        public var rebuilt: Bool
    }

    private let state: Mutex<State>
    private let publish: @Sendable (DNSZone) -> Void
    /// Called with each background rebuild's duration in seconds (logs, metrics).
    private let compacted: @Sendable (Publication, Double) -> Void

    /// `publish` receives every new zone, in order.
    public convenience init(options: DNSZoneOptions, publish: @escaping @Sendable (DNSZone) -> Void,
                compacted: @escaping @Sendable (Publication, Double) -> Void = { _, _ in }) {
        self.init(zone: IncrementalZone(options: options), publish: publish, compacted: compacted)
    }

    init(zone: IncrementalZone, publish: @escaping @Sendable (DNSZone) -> Void,
         compacted: @escaping @Sendable (Publication, Double) -> Void) {
        state = Mutex(State(zone: zone))
        self.publish = publish
        self.compacted = compacted
    }

    /// Publishes the zone for `snapshot`, updated by `changes` (nil: rebuilt whole).
    @discardableResult
    public func update(to snapshot: ClusterSnapshot, changes: ZoneChanges?) -> Publication {
        let (publication, startCompaction) = state.withLock { state in
            let zone = state.zone.update(to: snapshot, changes: changes, compact: false)
            let rebuilt = state.zone.lastWasRebuild
            publish(zone)
            state.latest = snapshot
            if state.compacting {
                if let changes, !rebuilt { state.sinceCompaction.formUnion(changes) } else { state.compactionObsolete = true }
            }
            // After the publish: a whole build's indexes do not delay its first answer.
            state.zone.buildIndexesIfPending()
            let start = !state.compacting && state.zone.needsCompaction
            if start {
                state.compacting = true
                state.compactionObsolete = false
                state.sinceCompaction = ZoneChanges()
            }
            return (Publication(zone: zone, rebuilt: rebuilt), start)
        }
        if startCompaction { compactInBackground(from: snapshot) }
        return publication
    }

    private func compactInBackground(from snapshot: ClusterSnapshot) {
        let empty = state.withLock { IncrementalZone(options: $0.zone.options, compactionFloor: $0.zone.compactionFloor) }
        Task.detached(priority: .utility) { [self] in
            let clock = ContinuousClock()
            let start = clock.now
            var fresh = empty
            fresh.rebuild(snapshot)
            fresh.buildIndexesIfPending()
            let publication = state.withLock { state -> Publication? in
                guard !state.compactionObsolete else {
                    state.compacting = false
                    return nil
                }
                // Catch up with what was published meanwhile, then take over.
                if let latest = state.latest, latest.generation != snapshot.generation || !state.sinceCompaction.isEmpty {
                    fresh.update(to: latest, changes: state.sinceCompaction, compact: false)
                }
                state.zone = fresh
                state.compacting = false
                state.sinceCompaction = ZoneChanges()
                publish(fresh.zone)
                return Publication(zone: fresh.zone, rebuilt: true)
            }
            guard let publication else { return }
            let duration = start.duration(to: clock.now)
            compacted(publication, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }
    }
}
