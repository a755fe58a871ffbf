import Foundation
import SwitchyardLB
import SwitchyardModel
import SwitchyardTestSupport
import Synchronization
import Testing
@testable import SwitchyardDaemon

/// A wall clock the test moves.
final class TestWallClock: Sendable {
    private let seconds = Mutex(1_800_000_000.0)
    var now: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
    func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

/// `curl -s -i URL` → (status, headers, body), run off the cooperative pool.
func fetch(_ url: String) async throws -> (status: Int, headers: String, body: String) {
    try await offPool { try fetchBlocking(url) }
}

func fetchBlocking(_ url: String) throws -> (status: Int, headers: String, body: String) {
    let result = try Shell.run(["curl", "-s", "-i", "--max-time", "5", url])
    let parts = result.output.components(separatedBy: "\r\n\r\n")
    let head = parts.first ?? ""
    let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return (status, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
}

@Suite("HTTP: /healthz, /livez, /metrics and health-check node ports")
struct HTTPTests {
    @Test("without a first sync within 2 × sync period, /healthz turns 503 (a source that never syncs no longer looks healthy)")
    func noFirstSync() {
        let clock = TestWallClock()
        let health = HealthState(timeout: 60, now: clock.now)
        #expect(health.isHealthy, "starting up")
        clock.advance(61)
        #expect(!health.isHealthy, "no rule programmed for longer than the timeout")
        health.updated()
        #expect(health.isHealthy)
    }

    @Test("/healthz and /livez answer 200 with kube-proxy's JSON, then 503 once syncs failed for 2 × sync period")
    func healthz() async throws {
        let clock = TestWallClock()
        let health = HealthState(timeout: 60, now: clock.now)
        let metrics = DaemonMetrics()
        let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0, responder: HealthEndpoints.healthResponder(health: health, metrics: metrics))
        defer { Task { await server.close() } }
        let base = "http://127.0.0.1:\(server.port)"

        let ok = try await fetch("\(base)/healthz")
        #expect(ok.status == 200)
        #expect(ok.headers.contains("Content-Type: application/json"))
        #expect(ok.body == #"{"lastUpdated": "2027-01-15 08:00:00 +0000 UTC","currentTime": "2027-01-15 08:00:00 +0000 UTC", "nodeEligible": true}"#)
        #expect(try await fetch("\(base)/livez").body == #"{"lastUpdated": "2027-01-15 08:00:00 +0000 UTC","currentTime": "2027-01-15 08:00:00 +0000 UTC"}"#)

        health.updated()
        clock.advance(10)
        health.failed("kernel said no")
        clock.advance(59)
        #expect(try await fetch("\(base)/healthz").status == 200, "failing, but not for longer than the timeout yet")
        clock.advance(2)
        let failing = try await fetch("\(base)/healthz")
        #expect(failing.status == 503)
        #expect(failing.body.hasPrefix(#"{"lastUpdated": "2027-01-15 08:00:00 +0000 UTC","currentTime": "2027-01-15 08:01:11 +0000 UTC""#))
        #expect(try await fetch("\(base)/livez").status == 503)
        #expect(try await fetch("\(base)/other").status == 404)

        health.updated()
        #expect(try await fetch("\(base)/healthz").status == 200)
        #expect(metrics.render().contains(#"kubeproxy_proxy_healthz_total{code="503"} 1"#))
    }

    @Test("/metrics renders kube-proxy's and Switchyard's metrics in Prometheus text")
    func metricsEndpoint() async throws {
        let health = HealthState(timeout: 60, now: TestWallClock().now)
        let metrics = DaemonMetrics()
        var report = SyncReport(kind: .incremental)
        report.serviceChanges = 2
        report.endpointChanges = 3
        report.phases = [("plan", .milliseconds(2)), ("program", .milliseconds(3))]
        report.programming = ProgrammingReport(operations: 7, messages: 9, bytes: 1200)
        report.networkProgrammingLatencies = [0.7]
        report.noLocalEndpoints = ["internal": 0, "external": 1]
        metrics.record(report, at: 1_800_000_000)
        let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0, responder: HealthEndpoints.metricsResponder(health: health, metrics: metrics))
        defer { Task { await server.close() } }

        let response = try await fetch("http://127.0.0.1:\(server.port)/metrics")
        #expect(response.status == 200)
        for line in [
            "kubeproxy_sync_proxy_rules_service_changes_total 2",
            "kubeproxy_sync_proxy_rules_endpoint_changes_total 3",
            "kubeproxy_sync_proxy_rules_last_timestamp_seconds 1800000000",
            #"kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="external"} 1"#,
            "kubeproxy_sync_proxy_rules_duration_seconds_count 1",
            "kubeproxy_sync_partial_proxy_rules_duration_seconds_count 1",
            #"kubeproxy_network_programming_duration_seconds_bucket{le="1.0"} 1"#,
            "switchyard_netlink_operations_total 7",
            #"switchyard_sync_phase_duration_seconds_count{phase="program"} 1"#,
        ] {
            #expect(response.body.contains(line), "missing: \(line)")
        }
    }

    @Test("a health-check node port answers 200 with the local endpoint count, 503 without local endpoints",
          arguments: zip([2, 0], [200, 503]))
    func healthCheckNodePort(localEndpoints: Int, status: Int) async throws {
        let health = HealthState(timeout: 60, now: TestWallClock().now)
        let (entries, input) = AsyncStream<[ServiceHealthCheck]>.makeStream()
        let port = try freePort()
        let service = HealthCheckNodePorts(entries: entries, namespacePath: nil, health: health, logger: .init(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            input.yield([ServiceHealthCheck(service: ObjectKey(namespace: "shop", name: "gateway"), nodePort: port, localEndpoints: localEndpoints)])
            _ = await eventually { ((try? await fetch("http://127.0.0.1:\(port)/"))?.status ?? 0) != 0 }
            let response = try await fetch("http://127.0.0.1:\(port)/")
            #expect(response.status == status)
            #expect(response.headers.contains("X-Load-Balancing-Endpoint-Weight: \(localEndpoints)"))
            #expect(response.body == "{\n\t\"service\": {\n\t\t\"namespace\": \"shop\",\n\t\t\"name\": \"gateway\"\n\t},\n\t\"localEndpoints\": \(localEndpoints),\n\t\"serviceProxyHealthy\": true\n}")
            input.finish()
            try await group.waitForAll()
        }
        let after = (try? await fetch("http://127.0.0.1:\(port)/"))?.status ?? 0
        #expect(after == 0, "closed when the service ends")
    }
}
