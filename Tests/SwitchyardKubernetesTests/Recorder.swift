import Foundation
import Logging
import Synchronization
import SwitchyardModel
import SwitchyardSources
import SwitchyardTestSupport
import Testing

/// Collects a source's batches and applies them to a map of objects, checking that each event makes
/// sense (added only for new objects, updated and deleted only for known ones). An update that
/// changes nothing (a relist delivers every listed object) is kept in `batches` but not in `changes`,
/// as a store drops it.
final class Recorder: Sendable {
    struct State: Sendable {
        var batches: [[ClusterEvent]] = []
        /// The events that changed `objects`, in order.
        var changes: [ClusterEvent] = []
        var objects: [String: ClusterObject] = [:]
        var violations: [String] = []
    }

    let state = Mutex(State())

    var batches: [[ClusterEvent]] { state.withLock { $0.batches } }
    var objects: [String: ClusterObject] { state.withLock { $0.objects } }
    var changes: [ClusterEvent] { state.withLock { $0.changes } }
    var violations: [String] { state.withLock { $0.violations } }

    static func identity(_ object: ClusterObject) -> String { identity(object.kind, object.key) }
    static func identity(_ event: ClusterEvent) -> String { identity(event.kind, event.key) }
    static func identity(_ kind: ResourceKind, _ key: ObjectKey) -> String { "\(kind.rawValue) \(key)" }

    func record(_ batch: [ClusterEvent]) {
        state.withLock { state in
            state.batches.append(batch)
            for event in batch {
                let id = Self.identity(event)
                switch event {
                case .added(let object):
                    if state.objects[id] != nil { state.violations.append("added twice: \(id)") }
                    state.objects[id] = object
                case .updated(let object):
                    if state.objects[id] == nil { state.violations.append("updated before added: \(id)") }
                    if state.objects[id] == object { continue }
                    state.objects[id] = object
                case .deleted:
                    if state.objects.removeValue(forKey: id) == nil { state.violations.append("deleted unknown: \(id)") }
                }
                state.changes.append(event)
            }
        }
    }

    /// Waits (polling) until `condition` holds; false after `timeout`.
    func wait(timeout: Duration = .seconds(15), until condition: (Recorder) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition(self)
    }

    /// Waits until the recorded objects equal what the server holds (converted the same way).
    func waitForEqual(_ server: FakeAPIServer, resources: [KubernetesResource], timeout: Duration = .seconds(15)) async -> Bool {
        await wait(timeout: timeout) { recorder in
            recorder.objects == Self.expected(server, resources: resources)
        }
    }

    static func expected(_ server: FakeAPIServer, resources: [KubernetesResource]) -> [String: ClusterObject] {
        let converter = ObjectConverter()
        var result: [String: ClusterObject] = [:]
        for object in server.objects {
            guard let resource = resources.first(where: { $0.path == object.path }) else { continue }
            let selector = FakeAPIServer.Selector(["labelSelector": resource.labelSelector ?? "", "fieldSelector": resource.fieldSelector ?? ""])
            guard selector.matches(name: object.name, labels: object.labels) else { continue }
            let value = try? JSONDecoder().decode(APIValue.self, from: Data(object.json(resourceVersion: 1).utf8))
            if let value, case .object(let converted) = converter.convert(value) { result[identity(converted)] = converted }
        }
        return result
    }
}

/// Runs a source against `server` while `body` runs, then cancels it.
func withSource(
    _ server: FakeAPIServer,
    connection: KubernetesConnection? = nil,
    log: LogCapture = LogCapture(),
    configure: (inout KubernetesSource.Configuration) -> Void = { _ in },
    _ body: (Recorder, KubernetesSource.Configuration) async throws -> Void
) async throws {
    var configuration = KubernetesSource.Configuration(
        connection: connection ?? KubernetesConnection(server: server.url),
        nodeName: "node-a",
        pageSize: 2,
        watchTimeoutSeconds: 30,
        initialBackoff: .milliseconds(20),
        maximumBackoff: .milliseconds(200),
        logger: log.logger
    )
    configure(&configuration)
    let source = KubernetesSource(configuration: configuration)
    let recorder = Recorder()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await source.run { recorder.record($0) }
        }
        try await body(recorder, configuration)
        group.cancelAll()
    }
}
