import SwitchyardDNS
import SwitchyardModel
import Synchronization

/// The sync loop's cluster changes on their way to the DNS server: the newest snapshot plus every
/// change since the DNS side last took one, so however many batches a slow publish coalesces, the
/// zone can still be updated incrementally. The sync loop offers; ``DNSService`` takes.
public final class ZoneFeed: Sendable {
    private struct Pending {
        var snapshot: ClusterSnapshot?
        /// The changes since the last take; nil with a snapshot: rebuild the zone whole.
        var changes: ZoneChanges?
        var offered = false
    }

    private let pending = Mutex(Pending())
    /// Wakes the consumer when something is waiting (bursts collapse into one wakeup).
    public let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init() {
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Offers the snapshot after a batch and what the batch changed (nil: everything may have; the
    /// first offer always rebuilds).
    public func offer(_ snapshot: ClusterSnapshot, changes: ZoneChanges?) {
        pending.withLock { state in
            let hadSnapshot = state.snapshot != nil
            if !state.offered || changes == nil || (hadSnapshot && state.changes == nil) {
                state.changes = nil
            } else if hadSnapshot, let changes {
                state.changes?.formUnion(changes)
            } else {
                state.changes = changes
            }
            state.snapshot = snapshot
            state.offered = true
        }
        wake.yield()
    }

    /// The newest snapshot and the changes since the previous take; nil when nothing is waiting.
    public func take() -> (snapshot: ClusterSnapshot, changes: ZoneChanges?)? {
        pending.withLock { state in
            guard let snapshot = state.snapshot else { return nil }
            defer {
                state.snapshot = nil
                state.changes = nil
            }
            return (snapshot, state.changes)
        }
    }

    /// No more offers: the consumer's loop ends.
    public func finish() {
        wake.finish()
    }
}
