import SwitchyardModel
import Synchronization

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

/// The one queue a ``SyncLoop`` waits on: its source hands batches here, and its timers and syncs
/// wake it here too, each wake-up taken once, in order, by the loop alone.
///
/// Perf, churn at 10,000 × 10 (perf, frame pointers): a separate stream of batches that a task of
/// the loop forwarded into its wake-ups was a task hop per watch event (0.8% of the samples in that
/// task), and `AsyncStream` itself cost ~2% of the samples beyond waking the loop: its buffer's
/// code is generic and not specialized (instantiating metadata at each `yield` and `next()`). Here
/// a wake-up is a lock, an append and, when the loop waits, one resumption.
public final class SyncLoopInput: Sendable {
    private struct State {
        var buffer: [SyncLoopWakeup] = []
        /// Where the next wake-up to take is in `buffer` (taken ones are dropped once all are).
        var head = 0
        /// The loop, when it waits for a wake-up.
        var waiter: UnsafeContinuation<SyncLoopWakeup?, Never>?
        /// No more wake-ups are taken in (the loop ended, or its task was cancelled).
        var finished = false
        /// The loop's task was cancelled: nothing more is handed out, queued or not.
        var cancelled = false

        mutating func take() -> SyncLoopWakeup? {
            guard head < buffer.count else { return nil }
            let wakeup = buffer[head]
            head += 1
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                head = 0
            }
            return wakeup
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Hands the loop one batch of events (the source's first batch is its whole synced state).
    public func yield(_ batch: [ClusterEvent]) {
        send(.events(batch))
    }

    /// The source ended: the loop keeps the last state programmed.
    public func sourcesEnded() {
        send(.sourcesEnded)
    }

    /// Queues a wake-up, or hands it to the loop if it waits; dropped once the input is finished.
    func send(_ wakeup: SyncLoopWakeup) {
        let waiter = state.withLock { state -> UnsafeContinuation<SyncLoopWakeup?, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffer.append(wakeup)
            return nil
        }
        waiter?.resume(returning: wakeup)
    }

    /// Takes no more wake-ups; those queued are still taken, then ``next()`` returns nil.
    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next wake-up, waiting for one; nil once finished and drained, or at once when the
    /// calling task is cancelled. One caller at a time (the loop).
    func next() async -> SyncLoopWakeup? {
        // Queued already (a burst of batches): taken without suspending.
        if let ready = state.withLock({ state in state.cancelled ? nil : state.take() }) { return ready }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<SyncLoopWakeup?, Never>) in
                let ready = state.withLock { state -> SyncLoopWakeup?? in
                    precondition(state.waiter == nil, "one sync loop takes from its input")
                    if state.cancelled { return .some(nil) }
                    if let wakeup = state.take() { return wakeup }
                    if state.finished { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.cancelled = true
                state.finished = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
