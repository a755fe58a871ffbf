import Foundation
import Logging
import SwitchyardModel
import SwitchyardSources
import Synchronization
import Testing

/// Collects what a `ManifestSource` yields, for a test to wait on.
private actor Recorder {
    private(set) var batches: [[ClusterEvent]] = []

    func add(_ batch: [ClusterEvent]) { batches.append(batch) }

    /// Waits until `count` batches arrived (true) or `timeout` passed (false). Generous: on a loaded
    /// 2-core CI machine, with other suites holding the cooperative threads, a 10-ms poll was seen
    /// not to run for over 5 s.
    func waitFor(_ count: Int, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while batches.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return batches.count >= count
    }
}

private func namespace(_ name: String) -> String {
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: \(name)}\n"
}

private func webService(port: Int) -> String {
    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {clusterIP: 10.96.0.20, ports: [{name: http, port: \(port)}]}\n"
}

private func webObject(port: Int) -> ClusterObject {
    .service(Service(namespace: "default", name: "web", clusterIPs: [ip("10.96.0.20")], ports: [ServicePort(name: "http", port: port)]))
}

/// Failed reloads log at error level; tests keep the output clean.
private let quietLoader: ManifestLoader = {
    var logger = Logger(label: "switchyard.manifests.test")
    logger.logLevel = .critical
    return ManifestLoader(logger: logger)
}()

private func write(_ text: String, _ path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Runs `source` in a child task while `body` drives the files, then cancels it.
private func watching(
    _ source: ManifestSource, _ body: @Sendable (Recorder) async throws -> Void
) async throws {
    let recorder = Recorder()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for try await batch in source { await recorder.add(batch) }
        }
        try await body(recorder)
        group.cancelAll()
        try await group.waitForAll()
    }
}

@Suite("ManifestSource reloads and emits only the differences")
struct ReloadTests {
    @Test("first the whole load, then exactly the changed, added and deleted objects")
    func differences() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(namespace("default") + "---\n" + webService(port: 80), dir + "/a.yaml")
        try write(namespace("shop"), dir + "/b.yaml")
        let source = ManifestSource(paths: [dir], loader: quietLoader, pollInterval: .milliseconds(10))

        try await watching(source) { recorder in
            #expect(await recorder.waitFor(1))
            #expect(await recorder.batches[0] == [
                .added(.namespace(Namespace(name: "default"))), .added(webObject(port: 80)),
                .added(.namespace(Namespace(name: "shop"))),
            ])

            try write(namespace("default") + "---\n" + webService(port: 8080), dir + "/a.yaml")
            #expect(await recorder.waitFor(2))
            #expect(await recorder.batches.last == [.updated(webObject(port: 8080))])

            try FileManager.default.removeItem(atPath: dir + "/b.yaml")
            #expect(await recorder.waitFor(3))
            #expect(await recorder.batches.last == [.deleted(.namespace(Namespace(name: "shop")))])

            try FileManager.default.createDirectory(atPath: dir + "/more", withIntermediateDirectories: false)
            try write(namespace("kube-system"), dir + "/more/c.yml")
            try write("not: [a manifest", dir + "/notes.txt")
            #expect(await recorder.waitFor(4))
            #expect(await recorder.batches.last == [.added(.namespace(Namespace(name: "kube-system")))])

            // Rewriting the same objects (other formatting) changes nothing.
            try write("# reformatted\n" + namespace("default") + "---\n" + webService(port: 8080), dir + "/a.yaml")
            try await Task.sleep(for: .milliseconds(100))
            #expect(await recorder.batches.count == 4)
        }
    }

    @Test("a failed reload emits nothing and the previous good state stays the base")
    func failedReload() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(webService(port: 80), dir + "/web.yaml")
        try write(namespace("default"), dir + "/ns.yaml")
        let source = ManifestSource(paths: [dir], loader: quietLoader, pollInterval: .milliseconds(10))

        try await watching(source) { recorder in
            #expect(await recorder.waitFor(1))
            #expect(await recorder.batches[0].count == 2)

            // Broken: a bad port in one file and a syntax error in the other. Nothing is emitted,
            // not even the namespace deletion the half-parsed state would imply.
            try write(webService(port: 70000), dir + "/web.yaml")
            try write("apiVersion: v1\nkind: [Namespace\n", dir + "/ns.yaml")
            try await Task.sleep(for: .milliseconds(150))
            #expect(await recorder.batches.count == 1)

            // Fixed differently: the difference is taken against the last good load (port 80).
            try write(namespace("default"), dir + "/ns.yaml")
            try write(webService(port: 81), dir + "/web.yaml")
            #expect(await recorder.waitFor(2))
            #expect(await recorder.batches.last == [.updated(webObject(port: 81))])
        }
    }

    @Test("an invalid object is left out of the first load and reported; everything else loads (issue 15, item 5)")
    func invalidObjectInFirstLoad() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(webService(port: 0), dir + "/web.yaml")
        try write(namespace("default"), dir + "/ns.yaml")
        let outcomes = Mutex<[ManifestLoadOutcome]>([])
        var iterator = ManifestSource(paths: [dir], loader: quietLoader, observer: { outcome in outcomes.withLock { $0.append(outcome) } })
            .makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first == [.added(.namespace(Namespace(name: "default")))])
        #expect(iterator.invalidObjects == ["Service default/web"])
        #expect(outcomes.withLock { $0 } == [ManifestLoadOutcome(failed: false, invalidObjects: 1)], "what the daemon's metrics are told")
    }

    @Test("a first load with a file that does not parse throws every problem")
    func unparsableFirstLoad() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(webService(port: 0), dir + "/web.yaml")
        try write("apiVersion: v1\nkind: [Namespace\n", dir + "/ns.yaml")
        var iterator = ManifestSource(paths: [dir], loader: quietLoader).makeAsyncIterator()
        await #expect {
            _ = try await iterator.next()
        } throws: { error in
            guard let error = error as? ManifestError else { return false }
            return error.problems.count == 2 && error.problems.contains(ManifestProblem(
                file: dir + "/web.yaml", document: 1, object: "Service default/web", field: "spec.ports[0].port",
                message: "0 is out of range 1-65535"))
        }
    }

    @Test("an object made invalid by a reload keeps its previous version; the other changes apply")
    func objectMadeInvalid() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(webService(port: 80), dir + "/web.yaml")
        try write(namespace("default"), dir + "/ns.yaml")
        let source = ManifestSource(paths: [dir], loader: quietLoader, pollInterval: .milliseconds(10))
        try await watching(source) { recorder in
            #expect(await recorder.waitFor(1))
            try write(webService(port: 70000), dir + "/web.yaml")
            try write(namespace("default") + "---\n" + namespace("team-a"), dir + "/ns.yaml")
            #expect(await recorder.waitFor(2))
            #expect(await recorder.batches.last == [.added(.namespace(Namespace(name: "team-a")))], "web stays at port 80")
        }
    }

    @Test("the event diff", arguments: [
        ([], [], []),
        ([ClusterObject.namespace(Namespace(name: "a"))], [], [ClusterEvent.deleted(.namespace(Namespace(name: "a")))]),
        ([], [.namespace(Namespace(name: "a"))], [.added(.namespace(Namespace(name: "a")))]),
        ([.namespace(Namespace(name: "a"))], [.namespace(Namespace(name: "a", labels: ["x": "y"]))],
         [.updated(.namespace(Namespace(name: "a", labels: ["x": "y"])))]),
        ([.namespace(Namespace(name: "a")), .node(Node(name: "a"))], [.node(Node(name: "a")), .namespace(Namespace(name: "a"))], []),
    ] as [([ClusterObject], [ClusterObject], [ClusterEvent])])
    func diff(old: [ClusterObject], new: [ClusterObject], expected: [ClusterEvent]) {
        #expect(ClusterDiff.events(from: old, to: new) == expected)
    }
}
