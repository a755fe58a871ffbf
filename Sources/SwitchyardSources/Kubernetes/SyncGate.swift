import Logging
import Synchronization
import SwitchyardModel

/// Where a ``KubernetesSource``'s informers hand their messages: it holds the changes back until
/// every collection's first list is in, delivers that synced state as one batch (the collections in
/// the order given, each sorted by key), then each change as it comes. Called from the informers'
/// own tasks and delivering under its lock, so batches go out one at a time and in order without a
/// task of its own in between (perf, churn at 10,000 Services: each hand-over from one task to
/// another is a thread wake-up, and the source had two per watch event before the sync loop's).
final class SyncGate: Sendable {
    private struct State {
        var initial: [ResourceKind: [ClusterObject]] = [:]
        var early: [[ClusterEvent]] = []
        var synced = false
    }

    private let kinds: [ResourceKind]
    private let logger: Logger
    private let deliver: @Sendable ([ClusterEvent]) -> Void
    private let state = Mutex(State())

    init(kinds: [ResourceKind], logger: Logger, deliver: @escaping @Sendable ([ClusterEvent]) -> Void) {
        self.kinds = kinds
        self.logger = logger
        self.deliver = deliver
    }

    /// Takes one informer's message.
    func receive(_ message: Informer.Message) {
        state.withLock { state in
            switch message {
            case .synced(let kind, let objects):
                state.initial[kind] = objects
                guard !state.synced, state.initial.count == kinds.count else { return }
                state.synced = true
                let all = kinds.flatMap { state.initial[$0] ?? [] }
                state.initial = [:]
                logger.info("synced", metadata: ["objects": "\(all.count)"])
                deliver(all.map(ClusterEvent.added))
                for batch in state.early { deliver(batch) }
                state.early = []
            case .events(let batch):
                if state.synced { deliver(batch) } else { state.early.append(batch) }
            }
        }
    }
}
