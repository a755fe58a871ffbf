import Foundation
import SwitchyardTestSupport
import Testing

/// Node-local DNS on the kube-dns ClusterIP (issue 16, item 3), in the real kernel: a pod namespace
/// asks `dig @10.96.0.10`; the daemon in the node namespace answers while it runs, kube-dns's
/// endpoint (another switchyard DNS in its own namespace, which also knows a `fallback` Service)
/// answers while it is stopped; a restart under load loses no query.
@Suite("Node-local DNS on the kube-dns ClusterIP", .serialized,
       .enabled(if: TestNamespace.unavailableReason == nil && Shell.has("dig"), "skipped: \(TestNamespace.unavailableReason ?? "needs dig")"))
struct NodeLocalDNSEndToEndTests {
    static let cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: kube-system}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: kube-dns, namespace: kube-system}
        spec:
          clusterIP: 10.96.0.10
          ports:
          - {name: dns, port: 53, protocol: UDP, targetPort: 53}
          - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: kube-dns-1
          namespace: kube-system
          labels: {kubernetes.io/service-name: kube-dns}
        addressType: IPv4
        ports:
        - {name: dns, port: 53, protocol: UDP}
        - {name: dns-tcp, port: 53, protocol: TCP}
        endpoints:
        - addresses: [10.0.1.2]
          conditions: {ready: true}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          clusterIP: 10.96.0.20
          ports: [{port: 80, protocol: TCP}]

        """
    /// Known only to the fallback server: its answer says who answered.
    static let fallbackOnly = """
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: fallback, namespace: default}
        spec:
          clusterIP: 10.96.0.99
          ports: [{port: 80, protocol: TCP}]

        """

    /// `dig @10.96.0.10 NAME +short` from the pod namespace.
    static func dig(_ pod: TestNamespace, _ name: String, tcp: Bool = false) -> String {
        let arguments = ["dig", "@10.96.0.10", "+short", "+time=1", "+tries=1"] + (tcp ? ["+tcp"] : []) + [name]
        return ((try? pod.run(arguments))?.output ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// node ← veth → pod (10.0.0.2, default route via the node), node ← veth → endpoint (10.0.1.2).
    static func wire(node: TestNamespace, pod: TestNamespace, endpoint: TestNamespace) throws {
        for (peer, side, address, gateway) in [(pod, "vpod", "10.0.0", "10.0.0.1"), (endpoint, "vep", "10.0.1", "10.0.1.1")] {
            let created = try Shell.run(["ip", "link", "add", side, "netns", node.name, "type", "veth", "peer", "name", "eth0", "netns", peer.name])
            try #require(created.status == 0, "veth: \(created.error)")
            try node.runChecked(["ip", "addr", "add", "\(address).1/24", "dev", side])
            try node.runChecked(["ip", "link", "set", side, "up"])
            try peer.runChecked(["ip", "link", "set", "lo", "up"])
            try peer.runChecked(["ip", "addr", "add", "\(address).2/24", "dev", "eth0"])
            try peer.runChecked(["ip", "link", "set", "eth0", "up"])
            try peer.runChecked(["ip", "route", "add", "default", "via", gateway])
        }
        try node.runChecked(["ip", "link", "set", "lo", "up"])
        try node.runChecked(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    }

    static func daemonArguments(_ directory: String, node: TestNamespace, handover: String) -> [String] {
        ["run", directory, "--netns", node.name, "--node", "node-1", "--dns-cluster-ip-service", "kube-system/kube-dns",
         "--dns-upstream", "none", "--dns-listen", "127.0.0.1:0", "--dns-handover-socket", handover,
         "--healthz-bind-address", "", "--metrics-bind-address", ""]
    }

    @Test("answered locally while the daemon runs, by the Service's endpoint while it is stopped, locally again; cleanup removes it all")
    func localThenFallbackThenLocal() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nodelocal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("node"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("endpoint"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.cluster.write(to: directory.appendingPathComponent("node/cluster.yaml"), atomically: true, encoding: .utf8)
        try (Self.cluster + Self.fallbackOnly).write(to: directory.appendingPathComponent("endpoint/cluster.yaml"), atomically: true, encoding: .utf8)
        let handover = directory.appendingPathComponent("handover.sock").path

        try await TestNamespace.with("nl-node") { node in
            try await TestNamespace.with("nl-pod") { pod in
                try await TestNamespace.with("nl-ep") { endpoint in
                    try Self.wire(node: node, pod: pod, endpoint: endpoint)
                    try await SwitchyardProcess.with(["dns", directory.appendingPathComponent("endpoint").path, "--listen", "10.0.1.2:53",
                                                      "--upstream", "none"], netns: endpoint.name) { fallback in
                        #expect(await fallback.logLine(containing: "DNS listening", timeout: .seconds(30)) != nil, "fallback log:\n\(fallback.log)")
                        // Before the daemon: kube-dns is not programmed at all, so nothing answers.
                        let arguments = Self.daemonArguments(directory.appendingPathComponent("node").path, node: node, handover: handover)
                        try await SwitchyardProcess.with(arguments) { daemon in
                            #expect(await eventually(timeout: .seconds(20)) { Self.dig(pod, "web.default.svc.cluster.local") == "10.96.0.20" },
                                    "log:\n\(daemon.log)")
                            #expect(Self.dig(pod, "fallback.default.svc.cluster.local").isEmpty, "answered by the local daemon, which has no such Service")
                            #expect(Self.dig(pod, "web.default.svc.cluster.local", tcp: true) == "10.96.0.20", "TCP too")
                            _ = await daemon.stop()
                            #expect(Self.dig(pod, "fallback.default.svc.cluster.local") == "10.96.0.99", "stopped: the endpoint answers")
                            #expect(Self.dig(pod, "fallback.default.svc.cluster.local", tcp: true) == "10.96.0.99", "TCP too")
                        }
                        try await SwitchyardProcess.with(arguments) { daemon in
                            #expect(await eventually(timeout: .seconds(20)) { Self.dig(pod, "fallback.default.svc.cluster.local").isEmpty },
                                    "started again: local. log:\n\(daemon.log)")
                            #expect(Self.dig(pod, "web.default.svc.cluster.local") == "10.96.0.20")
                        }
                        let cleanup = try Shell.run([Shell.switchyardBinary, "cleanup", "--netns", node.name])
                        #expect(cleanup.output.contains("local-delivery policy route"), "\(cleanup.output) \(cleanup.error)")
                        let rules = try node.runChecked(["ip", "rule"])
                        #expect(!rules.contains("fwmark"), "\(rules)")
                        let unanswered = Self.dig(pod, "fallback.default.svc.cluster.local")
                        #expect(unanswered.contains("no servers could be reached"), "no rules: nothing answers 10.96.0.10, got \(unanswered)")
                    }
                }
            }
        }
    }

    @Test("a daemon restart under 2,000 queries/s loses no query: the new process takes the sockets over",
          .enabled(if: Shell.has("dnsperf"), "skipped: needs dnsperf"))
    func restartLosesNoQuery() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nodelocal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.cluster.write(to: directory.appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)
        let queries = directory.appendingPathComponent("queries.txt").path
        try "web.default.svc.cluster.local A\nkube-dns.kube-system.svc.cluster.local A\n".write(toFile: queries, atomically: true, encoding: .utf8)
        let handover = directory.appendingPathComponent("handover.sock").path

        try await TestNamespace.with("nl-node") { node in
            try await TestNamespace.with("nl-pod") { pod in
                try await TestNamespace.with("nl-ep") { endpoint in
                    try Self.wire(node: node, pod: pod, endpoint: endpoint)
                    defer { _ = try? Shell.run([Shell.switchyardBinary, "cleanup", "--netns", node.name]) }
                    let arguments = Self.daemonArguments(directory.path, node: node, handover: handover)
                    try await SwitchyardProcess.with(arguments) { old in
                        #expect(await eventually(timeout: .seconds(20)) { Self.dig(pod, "web.default.svc.cluster.local") == "10.96.0.20" },
                                "log:\n\(old.log)")
                        // No fallback server runs: a query the daemons drop is lost, not answered elsewhere.
                        let load = Task.detached {
                            try pod.run(["dnsperf", "-s", "10.96.0.10", "-d", queries, "-Q", "2000", "-l", "10", "-t", "2"])
                        }
                        try await Task.sleep(for: .seconds(3))
                        try await SwitchyardProcess.with(arguments) { new in
                            #expect(await new.logLine(containing: "took over the node-local DNS sockets", timeout: .seconds(20)) != nil,
                                    "new log:\n\(new.log)")
                            try await Task.sleep(for: .seconds(1))
                            _ = await old.stop()
                            let result = try await load.value
                            let lost = result.output.split(separator: "\n").first { $0.contains("Queries lost:") } ?? "no summary"
                            let completed = result.output.split(separator: "\n").first { $0.contains("Queries completed:") } ?? ""
                            #expect(lost.contains("Queries lost:         0 "), "\(lost) \(completed)\n\(result.output)")
                            #expect(old.log.contains("handed the node-local DNS sockets to a new process"), "old log:\n\(old.log)")
                        }
                    }
                }
            }
        }
    }
}
