import SwitchyardModel

/// What wakes a ``SyncLoop``.
enum SyncLoopWakeup: Sendable {
    case events([ClusterEvent])
    /// The timer with this number fired (the loop keeps the deadline each number was armed for).
    case timer(Int)
    case sourcesEnded
    case synced(SyncOutcome)
    /// Graceful shutdown began: the loop ends, leaving the rules programmed.
    case shutdown
}

/// Where a sync loop's source hands its batches: straight into the loop's own wake-up stream, which
/// its timers and syncs also wake it through. Perf, churn at 10,000 × 10: a separate stream of batches
/// that a task of the loop forwarded into the wake-ups was a task hop per watch event (that task's
/// AsyncStream resumptions, unspecialized in the standard library, were ~1% of the daemon's samples,
/// its thread wake-ups more).
public final class SyncLoopInput: Sendable {
    let wakeups: AsyncStream<SyncLoopWakeup>
    let continuation: AsyncStream<SyncLoopWakeup>.Continuation

    public init() {
        (wakeups, continuation) = AsyncStream.makeStream()
    }

    /// Hands the loop one batch of events (the source's first batch is its whole synced state).
    public func yield(_ batch: [ClusterEvent]) {
        continuation.yield(.events(batch))
    }

    /// The source ended: the loop keeps the last state programmed.
    public func sourcesEnded() {
        continuation.yield(.sourcesEnded)
    }
}
