import Foundation
import SwitchyardModel
import SwitchyardSources
import Synchronization
import SwitchyardTestSupport
import Testing

/// KubernetesSource against the in-process API server: informer semantics end to end.
@Suite("KubernetesSource", .timeLimit(.minutes(1)))
struct KubernetesSourceTests {
    /// A small cluster: two namespaces, this node and another (filtered out), three services (one
    /// claimed by another proxy), two slices (one headless-style, kept for DNS), a pod.
    static func seeded() async throws -> FakeAPIServer {
        let server = try await FakeAPIServer.start()
        server.put(
            .namespace("default"), .namespace("kube-system"),
            .node("node-a", ip: "192.168.1.10"), .node("node-b", ip: "192.168.1.11"),
            .service("default", "web", clusterIP: "10.96.0.10"),
            .service("kube-system", "kube-dns", clusterIP: "10.96.0.53", port: 53),
            .service("default", "db", clusterIP: "10.96.0.30", port: 5432),
            .service("default", "other-proxy", clusterIP: "10.96.0.99", labels: ["service.kubernetes.io/service-proxy-name": "cilium"]),
            .endpointSlice("default", "web-abc", service: "web", addresses: ["10.244.1.5", "10.244.1.6"]),
            .endpointSlice("kube-system", "kube-dns-xyz", service: "kube-dns", addresses: ["10.244.1.7"]),
            .pod("default", "web-1", ip: "10.244.1.5")
        )
        return server
    }

    static func describe(_ event: ClusterEvent) -> String {
        switch event {
        case .added(let object): "added \(Recorder.identity(object))"
        case .updated(let object): "updated \(Recorder.identity(object))"
        case .deleted(let kind, let key): "deleted \(Recorder.identity(kind, key))"
        }
    }

    static let resources = KubernetesSource.Configuration(connection: KubernetesConnection(server: "x"), nodeName: "node-a").resources

    @Test("initial sync: one batch with every object (another proxy's Services too: DNS serves them), paginated lists")
    func initialSync() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        try await withSource(server) { recorder, _ in
            #expect(await recorder.wait { $0.batches.count >= 1 })
            let first = recorder.batches.first ?? []
            #expect(first.allSatisfy { if case .added = $0 { true } else { false } })
            let names = first.map { Recorder.identity($0) }
            #expect(names == [
                "Namespace default", "Namespace kube-system", "Node node-a",
                "Service default/db", "Service default/other-proxy", "Service default/web", "Service kube-system/kube-dns",
                "EndpointSlice default/web-abc", "EndpointSlice kube-system/kube-dns-xyz", "Pod default/web-1",
            ])
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            #expect(recorder.violations.isEmpty)
        }
        let requests = server.requests
        let serviceLists = requests.filter { $0.path == "/api/v1/services" && !$0.isWatch }
        #expect(serviceLists.map { $0.query["continue"] ?? "" } == ["", "2"], "four services over pages of 2")
        #expect(serviceLists.allSatisfy { $0.query["limit"] == "2" && $0.query["labelSelector"] == nil })
        let slices = requests.filter { $0.path == "/apis/discovery.k8s.io/v1/endpointslices" }
        #expect(slices.allSatisfy { $0.query["labelSelector"] == nil })
        #expect(requests.filter { $0.path == "/api/v1/nodes" }.allSatisfy { $0.query["fieldSelector"] == "metadata.name=node-a" })
        let watches = requests.filter(\.isWatch)
        #expect(Set(watches.map(\.path)).count == Self.resources.count)
        #expect(watches.allSatisfy { $0.query["allowWatchBookmarks"] == "true" && $0.query["timeoutSeconds"] == "30" })
        #expect(watches.allSatisfy { $0.query["resourceVersion"] == "1011" }, "watch from the list's resourceVersion")
    }

    @Test("ServiceCIDRs are followed; where they are forbidden (or not served) the rest syncs without them (issue 15, item 7)")
    func serviceCIDRs() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        server.put(.serviceCIDR("kubernetes", cidrs: ["10.96.0.0/12", "fd00:96::/108"]))
        try await withSource(server) { recorder, _ in
            #expect(await recorder.wait { $0.batches.count >= 1 })
            #expect((recorder.batches.first ?? []).contains(.added(.serviceCIDR(ServiceCIDR(
                name: "kubernetes", cidrs: [CIDR("10.96.0.0/12")!, CIDR("fd00:96::/108")!])))))
        }

        // kube-proxy's RBAC (system:node-proxier) lists neither: the proxy's collections still sync (issue 16, item 4).
        let refusing = try await Self.seeded()
        defer { Task { await refusing.stop() } }
        refusing.forbid("/apis/networking.k8s.io/v1/servicecidrs", times: 1000)
        refusing.forbid("/api/v1/pods", times: 1000)
        let log = LogCapture()
        let unavailable = Mutex<Set<ResourceKind>>([])
        try await withSource(refusing, log: log, configure: { configuration in
            configuration.availability = { kind, available in if !available { unavailable.withLock { _ = $0.insert(kind) } } }
        }) { recorder, _ in
            #expect(await recorder.wait { $0.batches.count >= 1 }, "the first batch does not wait for a forbidden optional collection")
            #expect((recorder.batches.first ?? []).contains { Recorder.identity($0) == "Service default/web" })
            #expect(!(recorder.batches.first ?? []).contains { $0.kind == .pod })
            #expect(log.contains("collection unavailable; going on without it"))
            #expect(unavailable.withLock { $0 } == [.serviceCIDR, .pod], "what the daemon's switchyard_kubernetes_collection_available gauge is told")
        }
    }

    @Test("updates flow: added, modified and deleted objects reach the consumer as single changes")
    func updatesFlow() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        try await withSource(server) { recorder, _ in
            #expect(await recorder.wait { $0.batches.count >= 1 })
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            server.put(.service("default", "api", clusterIP: "10.96.0.20"))
            server.put(.endpointSlice("default", "web-abc", service: "web", addresses: ["10.244.1.5"]))
            server.delete(.pod("default", "web-1", ip: "10.244.1.5"))
            server.put(.node("node-b", ip: "192.168.1.99"))  // not this node: never seen
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            let later = recorder.batches.dropFirst().flatMap { $0 }
            #expect(later.count == 3)
            #expect(recorder.violations.isEmpty)
        }
    }

    @Test("bookmarks move the resume point", arguments: [false, true])
    func bookmarks(bookmark: Bool) async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        try await withSource(server) { recorder, _ in
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            server.put(.namespace("team-a"))  // rv 1012, only the namespace watch sees it
            if bookmark { server.bookmark() }
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            try await Task.sleep(for: .milliseconds(50))
            let before = server.requests.count
            server.endWatches()
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count && server.requests.count >= before + Self.resources.count })
            let resumed = server.requests.dropFirst(before).filter { $0.isWatch && $0.path == "/api/v1/services" }
            #expect(resumed.first?.query["resourceVersion"] == (bookmark ? "1012" : "1011"))
        }
    }

    @Test("410 Gone: relist; only the differences change what a store holds", arguments: [FakeAPIServer.ExpiryStyle.errorEvent, .httpStatus])
    func relistAfterGone(style: FakeAPIServer.ExpiryStyle) async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        server.setExpiryStyle(style)
        let log = LogCapture()
        try await withSource(server, log: log, configure: { $0.initialBackoff = .milliseconds(150) }) { recorder, _ in
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            server.dropWatches()
            server.compact()
            server.put(.service("default", "api", clusterIP: "10.96.0.20"))
            server.delete(.service("kube-system", "kube-dns", clusterIP: "10.96.0.53"))
            server.put(.service("default", "web", clusterIP: "10.96.0.10"))  // same content, new resourceVersion
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            let later = recorder.changes.dropFirst(recorder.batches.first?.count ?? 0)
            #expect(later.map(Self.describe) == ["added Service default/api", "deleted Service kube-system/kube-dns"])
            #expect(recorder.violations.isEmpty)
        }
        #expect(server.requests.filter { $0.path == "/api/v1/services" && !$0.isWatch }.count == 4, "listed twice, two pages each")
        #expect(log.contains("watch expired; relisting"))
    }

    @Test("an API server restored to an older state (504 Too large resource version): relist, not retry the same watch")
    func relistAfterRestore() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        let log = LogCapture()
        try await withSource(server, log: log, configure: { $0.initialBackoff = .milliseconds(150) }) { recorder, _ in
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            // Restored from a backup: one Service is gone, another appeared, and the version went back.
            let kept = server.objects.filter { !($0.kind == "Service" && $0.name == "kube-dns") }
            server.restore(to: 900, objects: kept + [.service("default", "restored", clusterIP: "10.96.0.77")])
            #expect(await recorder.waitForEqual(server, resources: Self.resources, timeout: .seconds(15)))
            let later = recorder.batches.dropFirst().flatMap { $0 }.map(Self.describe)
            #expect(later.contains("added Service default/restored"), "\(later)")
            #expect(later.contains("deleted Service kube-system/kube-dns"), "\(later)")
        }
        #expect(log.contains("watch expired; relisting"))
        #expect(log.contains("Too large resource version"))
    }

    @Test("a dropped connection resumes from the last resourceVersion, without relisting")
    func disconnectAndResume() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        let log = LogCapture()
        try await withSource(server, log: log) { recorder, _ in
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            server.put(.service("default", "api", clusterIP: "10.96.0.20"))
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            let lists = server.requests.filter { !$0.isWatch }.count
            server.dropWatches()
            server.put(.endpointSlice("default", "api-1", service: "api", addresses: ["10.244.2.1"]))
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            #expect(server.requests.filter { !$0.isWatch }.count == lists, "no relist")
            let resumed = server.requests.filter { $0.isWatch && $0.path == "/api/v1/services" }.last
            #expect(resumed?.query["resourceVersion"] == "1012")
            #expect(recorder.violations.isEmpty)
        }
        #expect(log.contains("watch failed; resuming from the last resourceVersion"))
    }

    @Test("a malformed event is logged, the stream resynced, and the change it hid is not lost")
    func malformedEvent() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        let log = LogCapture()
        try await withSource(server, log: log) { recorder, _ in
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            server.put(silently: .service("default", "web", clusterIP: "10.96.0.11"))
            server.inject(line: "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Service\",", path: "/api/v1/services")
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            #expect(recorder.violations.isEmpty)
        }
        #expect(log.contains("malformed watch event; relisting to resync"))
    }

    @Test("an expired continue token restarts the list from the beginning")
    func expiredContinueToken() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        server.expireContinueTokens(true)
        let log = LogCapture()
        try await withSource(server, log: log) { recorder, _ in
            #expect(await recorder.wait { _ in log.contains("410 Expired: The provided continue parameter is too old") })
            #expect(recorder.batches.isEmpty, "not synced on half a list")
            server.expireContinueTokens(false)
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            #expect(recorder.violations.isEmpty)
        }
    }

    @Test("RBAC 403 is logged and retried; the sync completes once access is granted")
    func forbiddenThenGranted() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        server.forbid("/api/v1/services", times: 2)
        let log = LogCapture()
        try await withSource(server, log: log) { recorder, _ in
            #expect(await recorder.wait { $0.batches.count >= 1 })
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
        }
        #expect(log.contains("403 Forbidden: services is forbidden"))
    }

    @Test("token rotation: a changed token file is used from the next request")
    func tokenRotation() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-kube-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try "token-1\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        server.requireToken("token-1")
        let connection = KubernetesConnection(server: server.url, credentials: .tokenFile(tokenFile))
        try await withSource(server, connection: connection) { recorder, _ in
            #expect(await recorder.wait { $0.batches.count >= 1 })
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            try "token-2\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            server.requireToken("token-2")
            let before = server.requests.count
            server.endWatches()
            server.put(.service("default", "api", clusterIP: "10.96.0.20"))
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            let after = server.requests.dropFirst(before)
            #expect(!after.isEmpty && after.allSatisfy { $0.authorization == "Bearer token-2" })
        }
        #expect(server.requests.first?.authorization == "Bearer token-1")
    }

    @Test("Pods can be left out")
    func podsDisabled() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        try await withSource(server, configure: { $0.watchPods = false }) { recorder, configuration in
            #expect(await recorder.wait { $0.batches.count >= 1 })
            #expect(await recorder.waitForEqual(server, resources: configuration.resources))
        }
        #expect(!server.requests.contains { $0.path == "/api/v1/pods" })
    }

    @Test("as an AsyncSequence: the first element is the synced state; ending the loop closes the watches")
    func asyncSequence() async throws {
        let server = try await Self.seeded()
        defer { Task { await server.stop() } }
        let source = KubernetesSource(configuration: .init(
            connection: KubernetesConnection(server: server.url), nodeName: "node-a", logger: LogCapture().logger))
        var first: [ClusterEvent] = []
        for try await batch in source {
            first = batch
            break
        }
        #expect(first.count == 10, "every object of the seeded server, another proxy's Service included")
        let recorder = Recorder()
        #expect(await recorder.wait { _ in server.openWatches == 0 })
    }

    @Test("TLS: the server's CA is trusted and a client certificate authenticates")
    func mutualTLS() async throws {
        let certificates = try TestCertificates.make()
        let server = try await FakeAPIServer.start(tls: try certificates.serverContext())
        defer { Task { await server.stop() } }
        server.put(.namespace("default"), .service("default", "web", clusterIP: "10.96.0.10"))
        let connection = KubernetesConnection(
            server: server.url, certificateAuthorityPEM: Array(certificates.caPEM.utf8),
            clientCertificatePEM: Array(certificates.clientCertificatePEM.utf8), clientKeyPEM: Array(certificates.clientKeyPEM.utf8))
        let log = LogCapture()
        try await withSource(server, connection: connection, log: log) { recorder, _ in
            #expect(await recorder.wait { $0.batches.count >= 1 })
            #expect(await recorder.wait { _ in server.openWatches == Self.resources.count })
            server.put(.service("default", "api", clusterIP: "10.96.0.20"))
            #expect(await recorder.waitForEqual(server, resources: Self.resources))
        }
        #expect(log.contains("synced"))
    }

    @Test("TLS: a server signed by another CA, or a client without a certificate, is refused", arguments: [false, true])
    func tlsRefused(withoutClientCertificate: Bool) async throws {
        let certificates = try TestCertificates.make()
        let other = try TestCertificates.make(caName: "another CA")
        let server = try await FakeAPIServer.start(tls: try certificates.serverContext())
        defer { Task { await server.stop() } }
        server.put(.namespace("default"))
        let trusted = withoutClientCertificate ? certificates.caPEM : other.caPEM
        let connection = KubernetesConnection(
            server: server.url, certificateAuthorityPEM: Array(trusted.utf8),
            clientCertificatePEM: withoutClientCertificate ? nil : Array(certificates.clientCertificatePEM.utf8),
            clientKeyPEM: withoutClientCertificate ? nil : Array(certificates.clientKeyPEM.utf8))
        let log = LogCapture()
        try await withSource(server, connection: connection, log: log) { recorder, _ in
            #expect(await recorder.wait { _ in log.contains("list failed; retrying") })
            #expect(recorder.batches.isEmpty)
        }
        #expect(server.requests.isEmpty, "no request got through")
    }
}
