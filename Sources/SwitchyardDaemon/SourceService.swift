import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardSources

/// Follows the manifests and hands each batch of events to the sync loop. An invalid first load
/// ends the daemon with every problem listed; an invalid change later is logged by the source with
/// its location and ignored (the last good state stays programmed).
public struct ManifestSourceService: ServiceLifecycle.Service {
    public var source: ManifestSource
    public var output: AsyncStream<[ClusterEvent]>.Continuation
    public var logger: Logger

    public init(source: ManifestSource, output: AsyncStream<[ClusterEvent]>.Continuation, logger: Logger) {
        self.source = source
        self.output = output
        self.logger = logger
    }

    public func run() async throws {
        defer { output.finish() }
        var first = true
        for try await batch in source.cancelOnGracefulShutdown() {
            if first {
                logger.info("manifests loaded", metadata: ["paths": "\(source.paths.joined(separator: " "))", "objects": "\(batch.count)"])
                first = false
            } else {
                logger.info("manifests changed", metadata: ["events": "\(batch.count)"])
            }
            output.yield(batch)
        }
    }
}
