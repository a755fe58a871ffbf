import Foundation
import SwitchyardTestSupport
import Testing

/// Node-local autopath (issue 14, item 4), with real glibc: a pod namespace with a kubelet-style
/// resolv.conf (`search default.svc.cluster.local svc.cluster.local cluster.local`, `ndots:5`) asks
/// the daemon (in the node namespace) through `getent`; the queries are counted at the server.
@Suite("Node-local autopath", .serialized,
       .enabled(if: TestNamespace.unavailableReason == nil && Shell.has("getent") && Shell.has("python3") && Shell.has("curl"),
                "skipped: \(TestNamespace.unavailableReason ?? "needs getent, python3 and curl")"))
struct AutopathEndToEndTests {
    static let cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: other-ns}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: other-ns}
        spec:
          clusterIP: 10.96.0.30
          ports: [{port: 80, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client, namespace: default}
        spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}
        status: {phase: Running, podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}

        """

    /// Queries the daemon answered so far (its metrics, inside the node namespace).
    static func answered(_ node: TestNamespace) -> Int {
        let metrics = (try? node.run(["curl", "-s", "127.0.0.1:19249/metrics"]))?.output ?? ""
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("switchyard_dns_query_duration_seconds_count") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
    }

    /// `getent DATABASE NAME` in the pod namespace: its first line, and how many queries it cost.
    static func lookup(_ pod: TestNamespace, _ node: TestNamespace, _ arguments: [String]) -> (String, Int) {
        let before = answered(node)
        let output = ((try? pod.run(["getent"] + arguments))?.output ?? "")
        let first = output.split(separator: "\n").first.map { $0.split(whereSeparator: { $0 == " " }).joined(separator: " ") } ?? ""
        return (first, answered(node) - before)
    }

    @Test("getent hosts example.com and web.other-ns cost one query per address family, with the same addresses as without autopath")
    func oneQueryPerFamily() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("autopath-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.cluster.write(to: directory.appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)

        try await TestNamespace.with("ap-node") { node in
            try await TestNamespace.with("ap-pod") { pod in
                try await TestNamespace.with("ap-up") { upstream in
                    try NodeLocalDNSEndToEndTests.wire(node: node, pod: pod, endpoint: upstream)
                    // `ip netns exec` mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf: kubelet's.
                    let etc = "/etc/netns/\(pod.name)"
                    try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
                    defer { try? FileManager.default.removeItem(atPath: etc) }
                    try "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.0.0.1\noptions ndots:5\n"
                        .write(toFile: "\(etc)/resolv.conf", atomically: true, encoding: .utf8)
                    let upstreamServer = Process()
                    upstreamServer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    upstreamServer.arguments = ["ip", "netns", "exec", upstream.name, "python3", "\(Shell.fixtures)/tiny-upstream-dns.py", "10.0.1.2"]
                    upstreamServer.standardOutput = FileHandle.nullDevice
                    try upstreamServer.run()
                    // SIGKILL: the child inherits the test process's blocked SIGTERM.
                    defer { kill(upstreamServer.processIdentifier, SIGKILL); upstreamServer.waitUntilExit() }

                    var results: [Bool: [String: (String, Int)]] = [:]
                    for autopath in [false, true] {
                        try await SwitchyardProcess.with(
                            ["run", directory.path, "--node", "node-1", "--dns-listen", "10.0.0.1:53", "--dns-upstream", "10.0.1.2:53",
                             "--cluster-cidr", "10.0.0.0/24", "--healthz-bind-address", "", "--metrics-bind-address", "127.0.0.1:19249",
                             "--dns-handover-socket", ""] + (autopath ? ["--dns-autopath"] : []),
                            netns: node.name
                        ) { daemon in
                            #expect(await eventually(timeout: .seconds(20)) { Self.answered(node) >= 0 && (try? pod.run(["getent", "ahostsv4", "web.other-ns"]))?.status == 0 },
                                    "log:\n\(daemon.log)")
                            var byName: [String: (String, Int)] = [:]
                            for query in [["hosts", "example.com"], ["ahostsv4", "example.com"], ["hosts", "web.other-ns"], ["ahostsv4", "web.other-ns"]] {
                                byName[query.joined(separator: " ")] = Self.lookup(pod, node, query)
                            }
                            results[autopath] = byName
                        }
                    }
                    let without = try #require(results[false]), with = try #require(results[true])
                    for (query, expected) in [("hosts example.com", 1), ("ahostsv4 example.com", 1), ("hosts web.other-ns", 2), ("ahostsv4 web.other-ns", 1)] {
                        let (answer, queries) = try #require(with[query])
                        let (plainAnswer, plainQueries) = try #require(without[query])
                        #expect(queries == expected, "\(query): \(queries) queries with autopath (\(plainQueries) without)")
                        #expect(plainQueries > queries, "\(query): autopath saves queries (\(plainQueries) → \(queries))")
                        #expect(answer.split(separator: " ").first == plainAnswer.split(separator: " ").first,
                                "\(query): the same address (\(answer) vs \(plainAnswer))")
                        #expect(!answer.isEmpty, "\(query): answered")
                    }
                }
            }
        }
    }
}
