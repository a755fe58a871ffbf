import Foundation
import SwitchyardTestSupport
import Testing

/// `switchyard run` as a process, programming a network namespace the test makes.
@Suite("switchyard run end to end (network namespace)", .serialized)
struct DaemonEndToEndTests {
    static let extraService = """
        apiVersion: v1
        kind: Service
        metadata: {name: extra, namespace: default}
        spec:
          clusterIP: 10.96.0.99
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: extra-1, namespace: default, labels: {kubernetes.io/service-name: extra}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints: [{addresses: [10.244.0.99], conditions: {ready: true}, nodeName: node-1}]
        """

    @Test("programs the namespace, follows a manifest change within ~1s, serves DNS and health, exits 0 on SIGTERM, restarts without changes")
    func daemonInNamespace() async throws {
        if let reason = TestNamespace.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-daemon-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/cluster").standardized
        try FileManager.default.copyItem(at: examples, to: directory)
        let healthPort = try freePort()
        let metricsPort = try freePort()
        let dnsPort = try freePort()

        try await TestNamespace.with("daemon") { namespace in
            try namespace.runChecked(["ip", "link", "set", "lo", "up"])
            try await SwitchyardProcess.with([
                "run", directory.path, "--netns", namespace.name, "--node", "node-1",
                "--min-sync-period", "100ms", "--poll-interval", "100ms", "--dns-listen", "127.0.0.1:\(dnsPort)",
                "--healthz-bind-address", "127.0.0.1:\(healthPort)", "--metrics-bind-address", "127.0.0.1:\(metricsPort)",
            ]) { daemon in
                #expect(await eventually(timeout: .seconds(10)) {
                    (try? await offPool { try namespace.run(["nft", "list", "table", "ip", "switchyard"]) })?.status == 0
                }, "the daemon programs table ip switchyard in the namespace")
                let first = try namespace.runChecked(["nft", "list", "table", "ip", "switchyard"])
                #expect(first.contains("10.96.0.20"))
                #expect(!first.contains("10.96.0.99"))

                // A change to the manifests is programmed within about a second.
                let clock = ContinuousClock()
                let start = clock.now
                try Self.extraService.write(to: directory.appendingPathComponent("99-extra.yaml"), atomically: true, encoding: .utf8)
                #expect(await eventually(timeout: .seconds(5)) {
                    (try? await offPool { try namespace.runChecked(["nft", "list", "table", "ip", "switchyard"]) })?.contains("10.96.0.99") ?? false
                })
                let elapsed = start.duration(to: clock.now)
                #expect(elapsed < .seconds(3), "took \(elapsed) (poll interval 100ms + min sync period 100ms; the margin is for a busy test machine)")

                // DNS from the same store: the new Service's name resolves too.
                if Shell.has("dig") {
                    let dig = { @Sendable (name: String) async throws -> String in
                        try await offPool { try Shell.run(["dig", "@127.0.0.1", "-p", "\(dnsPort)", "+short", "+time=2", "+tries=1", name]).output }
                    }
                    #expect(try await dig("web.default.svc.cluster.local").contains("10.96.0.20"))
                    #expect(await eventually { ((try? await dig("extra.default.svc.cluster.local")) ?? "").contains("10.96.0.99") })
                }

                // Health, metrics and the health-check node port inside the namespace.
                let health = try await fetch("http://127.0.0.1:\(healthPort)/healthz")
                #expect(health.status == 200)
                let metrics = try await fetch("http://127.0.0.1:\(metricsPort)/metrics")
                #expect(metrics.body.contains("kubeproxy_sync_proxy_rules_last_timestamp_seconds"))
                #expect(metrics.body.contains("switchyard_netlink_operations_total"))
                if Shell.has("dig") {
                    #expect(!metrics.body.contains(#"switchyard_dns_queries_total{rcode="NOERROR"} 0"#), "DNS replies are counted by rcode")
                    #expect(metrics.body.contains(#"switchyard_dns_queries_total{rcode="NOERROR"}"#))
                }
                let probe = try await offPool { try namespace.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "http://127.0.0.1:32000/"]) }
                #expect(probe.output == "200", "gateway's healthCheckNodePort reports its node-1 endpoint")

                let status = await daemon.stop()
                #expect(status == 0, "exit status; log:\n\(daemon.log)")
                #expect(try namespace.run(["nft", "list", "table", "ip", "switchyard"]).status == 0, "rules stay programmed on exit")
            }

            // A restart with an unchanged cluster adopts the rules: its first (full) sync sends nothing.
            try await SwitchyardProcess.with([
                "run", directory.path, "--netns", namespace.name, "--node", "node-1", "--no-dns", "--log-format", "json",
                "--healthz-bind-address", "", "--metrics-bind-address", "",
            ]) { restarted in
                let synced = await restarted.logLine(containing: #""msg":"synced""#)
                #expect(synced != nil, "no sync logged; log:\n\(restarted.log)")
                let line = synced ?? ""
                #expect(line.contains(#""kind":"full""#) && line.contains(#""operations":"0""#), "first sync after restart: \(line)")
                let status = await restarted.stop()
                #expect(status == 0, "exit status; log:\n\(restarted.log)")
            }
        }
    }
}
