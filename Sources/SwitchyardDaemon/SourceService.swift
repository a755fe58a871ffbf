import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardSources
import Synchronization

/// Follows one source of cluster events — the manifests on disk or the Kubernetes API — and hands
/// each batch to the sync loop. Both sources deliver the complete, synced state as their first
/// batch and only differences after it; a source that cannot start (an invalid first load, an
/// unusable kubeconfig) ends the daemon with the reason, while later problems are logged by the
/// source and retried or ignored (the last good state stays programmed).
public struct EventSourceService: ServiceLifecycle.Service {
    /// Follows the source until cancelled, calling its argument with each batch.
    public typealias Follow = @Sendable (_ deliver: @escaping @Sendable ([ClusterEvent]) -> Void) async throws -> Void

    public var follow: Follow
    /// The sync loop the batches go to.
    public var output: SyncLoopInput
    public var logger: Logger
    /// Logged with the first batch, e.g. "manifests loaded" and where from.
    public var synced: (message: Logger.Message, metadata: Logger.Metadata)
    /// The log level of later batches.
    public var changeLevel: Logger.Level

    public init(
        follow: @escaping Follow, output: SyncLoopInput, logger: Logger,
        synced: (message: Logger.Message, metadata: Logger.Metadata), changeLevel: Logger.Level = .info
    ) {
        self.follow = follow
        self.output = output
        self.logger = logger
        self.synced = synced
        self.changeLevel = changeLevel
    }

    /// Follows any source of batches by iterating it.
    public init<Source: AsyncSequence & Sendable>(
        source: Source, output: SyncLoopInput, logger: Logger,
        synced: (message: Logger.Message, metadata: Logger.Metadata), changeLevel: Logger.Level = .info
    ) where Source.Element == [ClusterEvent] {
        self.init(follow: { deliver in
            for try await batch in source { deliver(batch) }
        }, output: output, logger: logger, synced: synced, changeLevel: changeLevel)
    }

    /// Ends on graceful shutdown by cancelling the source (both sources end on cancellation): one
    /// task watches for the shutdown for the whole run, where `cancelOnGracefulShutdown()` put
    /// every batch through a merge of two sequences (perf: its tasks and generic metadata lookups
    /// were a few percent of the daemon's CPU under churn, once per batch at each hop).
    public func run() async throws {
        defer { output.sourcesEnded() }
        let (output, logger, synced, changeLevel) = (output, logger, synced, changeLevel)
        let first = Atomic(true)
        try await cancelWhenGracefulShutdown { [follow] in
            try await follow { batch in
                if first.exchange(false, ordering: .relaxed) {
                    logger.info(synced.message, metadata: synced.metadata.merging(["objects": "\(batch.count)"]) { $1 })
                } else {
                    logger.log(level: changeLevel, "cluster changed", metadata: ["events": "\(batch.count)"])
                }
                output.yield(batch)
            }
        }
    }
}

extension EventSourceService {
    /// Follows manifest files and directories.
    public init(manifests source: ManifestSource, output: SyncLoopInput, logger: Logger) {
        self.init(source: source, output: output, logger: logger,
                  synced: ("manifests loaded", ["paths": "\(source.paths.joined(separator: " "))"]))
    }

    /// Follows the API server (`--kubeconfig` / `--in-cluster`): the informers hand their batches
    /// to `output` themselves (``KubernetesSource/run(_:)``), not through the source's iterator,
    /// a task hop less per watch event.
    public init(kubernetes source: KubernetesSource, output: SyncLoopInput, logger: Logger) {
        self.init(follow: { deliver in try await source.run(deliver) }, output: output, logger: logger,
                  synced: ("Kubernetes API synced", ["server": "\(source.configuration.connection.server)"]), changeLevel: .debug)
    }
}
