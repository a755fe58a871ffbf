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
/// collection); the `AsyncSequence` conformance runs it in one task per iterator, cancelled when the
/// iteration ends.
public struct KubernetesSource: AsyncSequence, Sendable {
    public typealias Element = [ClusterEvent]
    public typealias AsyncIterator = AsyncThrowingStream<[ClusterEvent], any Error>.Iterator

    public var configuration: Configuration

    /// Nothing is opened until `run` or iteration starts.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Follows the API server, calling `deliver` with each batch (the first is the synced state),
    /// until the task is cancelled or `deliver` throws. Throws only for an unusable configuration
    /// (bad PEM) or what `deliver` throws; API failures are logged and retried.
    public func run(_ deliver: @Sendable ([ClusterEvent]) async throws -> Void) async throws {
        let settings = configuration
        let resources = settings.resources
        let http = try APIClient.makeHTTPClient(
            for: settings.connection, readTimeout: .seconds(settings.watchTimeoutSeconds + 60))
        let client = APIClient(http: http, connection: settings.connection)
        let converter = ObjectConverter(nodePortRange: settings.nodePortRange)
        settings.logger.info("following the Kubernetes API", metadata: [
            "server": "\(settings.connection.server)", "from": "\(settings.connection.origin)",
            "resources": "\(resources.map(\.path).joined(separator: " "))",
        ])
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (messages, sink) = AsyncStream.makeStream(of: Informer.Message.self)
                for resource in resources {
                    var logger = settings.logger
                    logger[metadataKey: "resource"] = "\(resource.path)"
                    let informer = Informer(resource: resource, client: client, converter: converter, settings: settings, logger: logger)
                    group.addTask {
                        await informer.run { sink.yield($0) }
                    }
                }
                var initial: [ResourceKind: [ClusterObject]] = [:]
                var early: [[ClusterEvent]] = []
                var synced = false
                for await message in messages {
                    switch message {
                    case .synced(let kind, let objects):
                        initial[kind] = objects
                        guard !synced, initial.count == resources.count else { continue }
                        synced = true
                        let all = resources.flatMap { initial[$0.kind] ?? [] }
                        initial = [:]
                        settings.logger.info("synced", metadata: ["objects": "\(all.count)"])
                        try await deliver(all.map(ClusterEvent.added))
                        for batch in early { try await deliver(batch) }
                        early = []
                    case .events(let batch):
                        if synced { try await deliver(batch) } else { early.append(batch) }
                    }
                }
                group.cancelAll()
            }
        } catch {
            try? await http.shutdown()
            throw error
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
