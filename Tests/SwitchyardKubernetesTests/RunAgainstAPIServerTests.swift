import Foundation
import SwitchyardTestSupport
import Testing

/// `switchyard run --kubeconfig K` as a process against the in-process API server, programming a
/// network namespace the test makes: rules and DNS for the server's objects, then a change.
@Suite("switchyard run --kubeconfig end to end (network namespace)", .serialized)
struct RunAgainstAPIServerTests {
    func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return (try? condition()) == true
    }

    /// A kubeconfig for `server` with a bearer token, written to `path`.
    static func writeKubeconfig(_ path: String, server: String, token: String) throws {
        try """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters: [{name: test, cluster: {server: "\(server)"}}]
            users: [{name: test, user: {token: \(token)}}]
            contexts: [{name: test, context: {cluster: test, user: test}}]
            """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("programs the server's services, answers DNS for them, follows a change")
    func runWithKubeconfig() async throws {
        if let reason = TestNamespace.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        let server = try await KubernetesSourceTests.seeded()
        defer { Task { await server.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-kube-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try Self.writeKubeconfig(kubeconfig, server: server.url, token: "test-token")
        let dnsPort = try freePort()

        try await TestNamespace.with("kube") { namespace in
            try namespace.runChecked(["ip", "link", "set", "lo", "up"])
            try await SwitchyardProcess.with([
                "run", "--kubeconfig", kubeconfig, "--netns", namespace.name, "--node", "node-a",
                "--min-sync-period", "100ms", "--dns-listen", "127.0.0.1:\(dnsPort)",
                "--healthz-bind-address", "", "--metrics-bind-address", "",
            ]) { daemon in
                let rules = { try namespace.runChecked(["nft", "list", "table", "ip", "switchyard"]) }
                #expect(await eventually { try rules().contains("10.96.0.10") && rules().contains("10.96.0.30") },
                        "the server's services are programmed")
                let rulesNow = try rules()
                #expect(!rulesNow.contains("10.96.0.99"), "a service claimed by another proxy is not")
                server.put(.service("default", "api", clusterIP: "10.96.0.20"),
                           .endpointSlice("default", "api-1", service: "api", addresses: ["10.244.2.1"]))
                #expect(await eventually(timeout: .seconds(5)) { try rules().contains("10.96.0.20") }, "a change is followed")
                if Shell.has("dig") {
                    let dig = { (name: String) throws -> String in
                        try Shell.run(["dig", "@127.0.0.1", "-p", "\(dnsPort)", "+short", "+time=1", "+tries=1", name]).output
                    }
                    #expect(await eventually { try dig("web.default.svc.cluster.local").contains("10.96.0.10") })
                    #expect(await eventually { try dig("api.default.svc.cluster.local").contains("10.96.0.20") })
                    #expect(try dig("other-proxy.default.svc.cluster.local").contains("10.96.0.99"), "DNS serves another proxy's Service")
                }
                #expect(server.requests.allSatisfy { $0.authorization == "Bearer test-token" })
                let status = await daemon.stop()
                #expect(status == 0, "exit status; log:\n\(daemon.log)")
            }
        }
    }

    /// kubeadm's kube-proxy config.conf, byte for byte (Tests/Fixtures).
    static let kubeadmConfig: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/kubeadm-v1.31-kube-proxy-config.conf").standardized.path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "missing fixture \(path)"
    }()

    @Test("kube-proxy's drop-in: kubeadm's config and flags, only system:node-proxier's grants — rules programmed, DNS answers, /healthz ready (issue 16)")
    func kubeadmConfigWithNodeProxierRBAC() async throws {
        if let reason = TestNamespace.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        let server = try await KubernetesSourceTests.seeded()
        defer { Task { await server.stop() } }
        server.allowOnly(FakeAPIServer.nodeProxierCollections)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-kubeadm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig.conf").path
        try Self.writeKubeconfig(kubeconfig, server: "http://127.0.0.1:1", token: "proxier-token")
        // The only change to kubeadm's file: where its kubeconfig lives on this machine.
        let config = directory.appendingPathComponent("config.conf").path
        let text = Self.kubeadmConfig.replacingOccurrences(of: "/var/lib/kube-proxy/kubeconfig.conf", with: kubeconfig)
        #expect(text != Self.kubeadmConfig)
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let (dnsPort, healthPort, metricsPort) = (try freePort(), try freePort(), try freePort())

        try await TestNamespace.with("kubeadm") { namespace in
            try namespace.runChecked(["ip", "link", "set", "lo", "up"])
            // As kube-proxy's DaemonSets run it: --config, --hostname-override and their other common
            // flags (--master wins over the kubeconfig's server), plus test ports.
            try await SwitchyardProcess.with([
                "run", "--config=\(config)", "--hostname-override=node-a", "--netns", namespace.name,
                "--master=\(server.url)", "--iptables-min-sync-period=100ms", "--oom-score-adj=500", "--feature-gates=SomeGate=true",
                "--profiling",
                "--dns-listen", "127.0.0.1:\(dnsPort)", "--healthz-bind-address", "127.0.0.1:\(healthPort)",
                "--metrics-bind-address", "127.0.0.1:\(metricsPort)", "--v=2",
            ]) { daemon in
                let rules = { try namespace.runChecked(["nft", "list", "table", "ip", "switchyard"]) }
                #expect(await eventually(timeout: .seconds(20)) { try rules().contains("10.96.0.10") && rules().contains("10.96.0.30") },
                        "programmed with Namespaces, Pods and ServiceCIDRs forbidden; log:\n\(daemon.log)")
                let health = { try Shell.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(healthPort)/healthz"]).output }
                if Shell.has("curl") {
                    #expect(await eventually { try health() == "200" }, "ready after the first sync")
                    let metrics = try Shell.run(["curl", "-s", "http://127.0.0.1:\(metricsPort)/metrics"]).output
                    #expect(metrics.contains("switchyard_kubernetes_collection_available{resource=\"Namespace\"} 0"), "\(metrics.prefix(3000))")
                }
                if Shell.has("dig") {
                    let dig = { (name: String) throws -> String in
                        try Shell.run(["dig", "@127.0.0.1", "-p", "\(dnsPort)", "+short", "+time=1", "+tries=1", name]).output
                    }
                    #expect(await eventually { try dig("web.default.svc.cluster.local").contains("10.96.0.10") }, "DNS without Namespaces")
                }
                // kube-proxy's conntrack defaults (the file's nulls), in the programmed namespace only.
                let established = try namespace.runChecked(["sysctl", "-n", "net.netfilter.nf_conntrack_tcp_timeout_established"])
                #expect(established.trimmingCharacters(in: .whitespacesAndNewlines) == "86400", "conntrack.tcpEstablishedTimeout 24h")
                let forbidden = Set(server.requests.map(\.path)).subtracting(FakeAPIServer.nodeProxierCollections)
                #expect(forbidden.isSubset(of: ["/api/v1/namespaces", "/apis/networking.k8s.io/v1/servicecidrs"]),
                        "asked only for what it may do without, never for Pods: \(forbidden)")
                #expect(daemon.log.contains("403 Forbidden") && daemon.log.contains("namespaces is forbidden"), "the refusal is logged with the server's words")
                #expect(server.requests.allSatisfy { $0.authorization == "Bearer proxier-token" }, "clientConnection.kubeconfig's credentials")
                #expect(daemon.log.contains("--feature-gates, --profiling"), "unused kube-proxy flags are listed")
                let oom = try String(contentsOfFile: "/proc/\(daemon.pid)/oom_score_adj", encoding: .utf8)
                #expect(oom.trimmingCharacters(in: .whitespacesAndNewlines) == "500", "raising needs no privilege (lowering to kube-proxy's -999 needs CAP_SYS_RESOURCE)")
                #expect(await daemon.stop() == 0)
            }
        }
    }

    @Test("--service-proxy-name: the labelled Service is programmed and the unlabelled ones are not; DNS answers for all (issue 16, item 2)")
    func serviceProxyName() async throws {
        if let reason = TestNamespace.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        let server = try await KubernetesSourceTests.seeded()
        defer { Task { await server.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-proxyname-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try Self.writeKubeconfig(kubeconfig, server: server.url, token: "test-token")
        let dnsPort = try freePort()
        try await TestNamespace.with("proxyname") { namespace in
            try namespace.runChecked(["ip", "link", "set", "lo", "up"])
            // other-proxy (10.96.0.99) carries service.kubernetes.io/service-proxy-name=cilium.
            try await SwitchyardProcess.with([
                "run", "--kubeconfig", kubeconfig, "--netns", namespace.name, "--node", "node-a", "--service-proxy-name", "cilium",
                "--dns-listen", "127.0.0.1:\(dnsPort)", "--healthz-bind-address", "", "--metrics-bind-address", "",
            ]) { daemon in
                let rules = { try namespace.runChecked(["nft", "list", "table", "ip", "switchyard"]) }
                #expect(await eventually { try rules().contains("10.96.0.99") }, "the labelled Service is programmed; log:\n\(daemon.log)")
                let programmed = try rules()
                #expect(!programmed.contains("10.96.0.10") && !programmed.contains("10.96.0.30"), "the unlabelled ones are left to kube-proxy")
                if Shell.has("dig") {
                    let dig = { (name: String) throws -> String in
                        try Shell.run(["dig", "@127.0.0.1", "-p", "\(dnsPort)", "+short", "+time=1", "+tries=1", name]).output
                    }
                    #expect(await eventually { try dig("other-proxy.default.svc.cluster.local").contains("10.96.0.99") })
                    #expect(try dig("web.default.svc.cluster.local").contains("10.96.0.10"), "DNS serves the unlabelled Service too")
                }
                #expect(await daemon.stop() == 0)
            }
        }
    }
}
