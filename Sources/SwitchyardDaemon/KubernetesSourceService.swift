import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardSources

/// Follows the API server (`--kubeconfig` / `--in-cluster`) and hands each batch of events to the
/// sync loop. The first batch is the synced state (every initial LIST in); API failures are logged
/// and retried by the source, so this service ends only at shutdown or on an unusable configuration.
public struct KubernetesSourceService: ServiceLifecycle.Service {
    public var source: KubernetesSource
    public var output: AsyncStream<[ClusterEvent]>.Continuation
    public var logger: Logger

    public init(source: KubernetesSource, output: AsyncStream<[ClusterEvent]>.Continuation, logger: Logger) {
        self.source = source
        self.output = output
        self.logger = logger
    }

    public func run() async throws {
        defer { output.finish() }
        var first = true
        for try await batch in source.cancelOnGracefulShutdown() {
            if first {
                logger.info("Kubernetes API synced", metadata: ["server": "\(source.configuration.connection.server)", "objects": "\(batch.count)"])
                first = false
            } else {
                logger.debug("Kubernetes API changes", metadata: ["events": "\(batch.count)"])
            }
            output.yield(batch)
        }
    }
}
