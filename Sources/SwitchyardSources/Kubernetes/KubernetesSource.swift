import AsyncHTTPClient
import Logging
import SwitchyardModel

/// The Kubernetes API server as a stream of event batches, like `ManifestSource`: the daemon plugs
/// either in. Each followed collection (Namespaces, this node's Node, Services, EndpointSlices,
/// optionally Pods) has an informer: LIST, then WATCH, relist on 410, resume after disconnects.
///
/// The **first batch is the synced state**: it comes once every initial LIST is in, and adds every
/// object (namespaces, nodes, services, endpoint slices, pods; each sorted by key). Later batches are
/// the changes as they arrive. Iteration ends when the consuming task is cancelled.
///
/// ```swift
/// let source = KubernetesSource(configuration: .init(
///     connection: try .kubeconfig(path: "/etc/kubernetes/admin.conf"), nodeName: "node-a"))
/// for try await events in source {
///     store.apply(events)
/// }
/// ```
/// Nothing starts in `init`. `run(_:)` is the structured form (a task group, one child per
/// collection, each handing its batches on itself); the `AsyncSequence` conformance runs it in one
/// task per iterator, cancelled when the iteration ends.
public struct KubernetesSource: AsyncSequence, Sendable {
    public typealias Element = [ClusterEvent]
    public typealias AsyncIterator = AsyncThrowingStream<[ClusterEvent], any Error>.Iterator

    public var configuration: Configuration

    /// Nothing is opened until `run` or iteration starts.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Follows the API server, calling `deliver` with each batch (the first is the synced state),
    /// until the task is cancelled. Throws only for an unusable configuration (bad PEM); API
    /// failures are logged and retried. `deliver` is called from the informers' tasks, one batch at
    /// a time and in order: it should hand the batch on, not work on it.
    public func run(_ deliver: @escaping @Sendable ([ClusterEvent]) -> Void) async throws {
        let settings = configuration
        let resources = settings.resources
        let http = try APIClient.makeHTTPClient(
            for: settings.connection, readTimeout: .seconds(settings.watchTimeoutSeconds + 60), group: settings.eventLoopGroup)
        let client = APIClient(http: http, connection: settings.connection)
        let converter = ObjectConverter(nodePortRange: settings.nodePortRange)
        settings.logger.info("following the Kubernetes API", metadata: [
            "server": "\(settings.connection.server)", "from": "\(settings.connection.origin)",
            "resources": "\(resources.map(\.path).joined(separator: " "))",
        ])
        let gate = SyncGate(kinds: resources.map(\.kind), logger: settings.logger, deliver: deliver)
        await withDiscardingTaskGroup { group in
            for resource in resources {
                var logger = settings.logger
                logger[metadataKey: "resource"] = "\(resource.path)"
                let informer = Informer(resource: resource, client: client, converter: converter, settings: settings, logger: logger)
                group.addTask {
                    await informer.run { gate.receive($0) }
                }
            }
        }
        try? await http.shutdown()
    }

    /// Runs `run(_:)` in a task that ends when the iteration ends (or its task is cancelled).
    public func makeAsyncIterator() -> AsyncIterator {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [ClusterEvent].self)
        let source = self
        let task = Task {
            do {
                try await source.run { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream.makeAsyncIterator()
    }
}
