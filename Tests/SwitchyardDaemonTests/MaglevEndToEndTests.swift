import Foundation
import SwitchyardTestSupport
import Testing

/// A Service annotated `switchyard.dev/dispatch: maglev` in the kernel (issue 17, item 5): when one of
/// ten endpoints goes away, most clients keep their endpoint (only the removed one's move), where a
/// modulo table would move most of them.
@Suite("Maglev per Service, in the kernel", .serialized,
       .enabled(if: TestNamespace.unavailableReason == nil && Shell.has("python3"),
                "skipped: \(TestNamespace.unavailableReason ?? "needs python3")"))
struct MaglevEndToEndTests {

    static func manifest(endpoints: ClosedRange<Int>) -> String {
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: default
          annotations: {switchyard.dev/dispatch: maglev}
        spec:
          clusterIP: 10.96.0.60
          ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        \(endpoints.map { "- {addresses: [10.0.1.\($0)], conditions: {ready: true}}" }.joined(separator: "\n"))

        """
    }

    /// Client address → the endpoint (echo server name) it reached.
    static func assignment(_ namespace: TestNamespace, _ clients: [String]) -> [String: String] {
        let output = (try? namespace.run(["python3", "\(Shell.fixtures)/client-endpoints.py", "10.96.0.60", "80"] + clients))?.output ?? ""
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2 { result[String(fields[0])] = String(fields[1]) }
        }
        return result
    }

    @Test("one of ten endpoints removed: the clients of the other nine keep their endpoint")
    func consistentOnRemoval() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maglev-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cluster.yaml")
        try Self.manifest(endpoints: 1...10).write(to: file, atomically: true, encoding: .utf8)
        let clients = (1...120).map { "10.1.0.\($0)" }
        try await TestNamespace.with("mag") { namespace in
            try namespace.runChecked(["ip", "link", "set", "lo", "up"])
            for address in (1...10).map({ "10.0.1.\($0)" }) + clients {
                try namespace.runChecked(["ip", "addr", "add", "\(address)/32", "dev", "lo"])
            }
            // The node's own clients: OUTPUT needs a route to the ClusterIP range before DNAT.
            try namespace.runChecked(["ip", "route", "add", "10.96.0.0/16", "dev", "lo"])
            var servers: [Process] = []
            defer { for server in servers { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() } }
            for index in 1...10 {
                let server = Process()
                server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                server.arguments = ["ip", "netns", "exec", namespace.name, Shell.switchyardBinary, "echo-server",
                                    "--name", "ep\(index)", "--tcp", "8080", "--bind", "10.0.1.\(index)"]
                server.standardOutput = FileHandle.nullDevice
                server.standardError = FileHandle.nullDevice
                try server.run()
                servers.append(server)
            }
            try await SwitchyardProcess.with(
                ["run", directory.path, "--node", "node-1", "--no-dns", "--healthz-bind-address", "", "--metrics-bind-address", "",
                 "--poll-interval", "100ms"],
                netns: namespace.name
            ) { daemon in
                #expect(await eventually(timeout: .seconds(20)) { Self.assignment(namespace, ["10.1.0.1"])["10.1.0.1"]?.hasPrefix("ep") == true },
                        "log:\n\(daemon.log)")
                let before = Self.assignment(namespace, clients)
                #expect(before.count == clients.count && before.values.allSatisfy { $0.hasPrefix("ep") }, "\(before)")
                #expect(Set(before.values).count >= 8, "120 clients spread over the endpoints: \(Set(before.values).sorted())")
                #expect(try namespace.runChecked(["nft", "list", "table", "ip", "switchyard"]).contains("service-maglev-mod-"))
                try Self.manifest(endpoints: 1...9).write(to: file, atomically: true, encoding: .utf8)
                #expect(await eventually(timeout: .seconds(20)) {
                    !Self.assignment(namespace, clients).values.contains("ep10")
                }, "ep10 removed; log:\n\(daemon.log)")
                let after = Self.assignment(namespace, clients)
                let stayed = clients.filter { before[$0] != "ep10" }
                let kept = stayed.filter { after[$0] == before[$0] }
                #expect(Double(kept.count) >= 0.8 * Double(stayed.count),
                        "\(kept.count) of \(stayed.count) clients not on the removed endpoint kept theirs")
            }
        }
    }
}
