import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardSources

/// Follows one source of cluster events — the manifests on disk or the Kubernetes API — and hands
/// each batch to the sync loop. Both sources deliver the complete, synced state as their first
/// batch and only differences after it; a source that cannot start (an invalid first load, an
/// unusable kubeconfig) ends the daemon with the reason, while later problems are logged by the
/// source and retried or ignored (the last good state stays programmed).
public struct EventSourceService<Source: AsyncSequence & Sendable>: ServiceLifecycle.Service
where Source.Element == [ClusterEvent] {
    public var source: Source
    public var output: AsyncStream<[ClusterEvent]>.Continuation
    public var logger: Logger
    /// Logged with the first batch, e.g. "manifests loaded" and where from.
    public var synced: (message: Logger.Message, metadata: Logger.Metadata)
    /// The log level of later batches.
    public var changeLevel: Logger.Level

    public init(
        source: Source, output: AsyncStream<[ClusterEvent]>.Continuation, logger: Logger,
        synced: (message: Logger.Message, metadata: Logger.Metadata), changeLevel: Logger.Level = .info
    ) {
        self.source = source
        self.output = output
        self.logger = logger
        self.synced = synced
        self.changeLevel = changeLevel
    }

    /// Ends on graceful shutdown by cancelling the iteration (both sources end on cancellation):
    /// one task watches for the shutdown for the whole run, where `cancelOnGracefulShutdown()` put
    /// every batch through a merge of two sequences (perf: its tasks and generic metadata lookups
    /// were a few percent of the daemon's CPU under churn, once per batch at each hop).
    public func run() async throws {
        defer { output.finish() }
        try await cancelWhenGracefulShutdown { [self] in
            var first = true
            for try await batch in source {
                if first {
                    logger.info(synced.message, metadata: synced.metadata.merging(["objects": "\(batch.count)"]) { $1 })
                    first = false
                } else {
                    logger.log(level: changeLevel, "cluster changed", metadata: ["events": "\(batch.count)"])
                }
                output.yield(batch)
            }
        }
    }
}

extension EventSourceService where Source == ManifestSource {
    /// Follows manifest files and directories.
    public init(manifests source: ManifestSource, output: AsyncStream<[ClusterEvent]>.Continuation, logger: Logger) {
        self.init(source: source, output: output, logger: logger,
                  synced: ("manifests loaded", ["paths": "\(source.paths.joined(separator: " "))"]))
    }
}

extension EventSourceService where Source == KubernetesSource {
    /// Follows the API server (`--kubeconfig` / `--in-cluster`).
    public init(kubernetes source: KubernetesSource, output: AsyncStream<[ClusterEvent]>.Continuation, logger: Logger) {
        self.init(source: source, output: output, logger: logger,
                  synced: ("Kubernetes API synced", ["server": "\(source.configuration.connection.server)"]), changeLevel: .debug)
    }
}
