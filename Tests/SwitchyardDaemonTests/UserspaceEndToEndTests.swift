import Foundation
import SwitchyardTestSupport
import Testing

/// `--proxy-mode userspace` (issue 17, items 3 and 4): the daemon in a namespace whose ClusterIP and
/// endpoint addresses are on `lo`, two of three endpoints listening; no netfilter rule anywhere.
@Suite("Userspace proxy mode", .serialized,
       .enabled(if: TestNamespace.unavailableReason == nil && Shell.has("python3"),
                "skipped: \(TestNamespace.unavailableReason ?? "needs python3")"))
struct UserspaceEndToEndTests {
    static let cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          type: NodePort
          clusterIP: 10.96.0.50
          ports:
          - {name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30080}
          - {name: udp, port: 53, protocol: UDP, targetPort: 8053, nodePort: 30053}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}, {name: udp, port: 8053, protocol: UDP}]
        endpoints:
        - addresses: [10.0.0.2]
          conditions: {ready: true}
        - addresses: [10.0.0.3]
          conditions: {ready: true}
        - addresses: [10.0.0.4]
          conditions: {ready: true}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: sticky, namespace: default}
        spec:
          clusterIP: 10.96.0.51
          sessionAffinity: ClientIP
          ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: sticky-1, namespace: default, labels: {kubernetes.io/service-name: sticky}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - addresses: [10.0.0.2]
          conditions: {ready: true}
        - addresses: [10.0.0.3]
          conditions: {ready: true}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: empty, namespace: default}
        spec:
          clusterIP: 10.96.0.52
          ports: [{name: http, port: 80, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: lb, namespace: default}
        spec:
          type: LoadBalancer
          clusterIP: 10.96.0.53
          externalTrafficPolicy: Local
          ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30090}]
        status: {loadBalancer: {ingress: [{ip: 10.96.100.1}]}}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: lb-1, namespace: default, labels: {kubernetes.io/service-name: lb}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - {addresses: [10.0.0.2], conditions: {ready: true}, nodeName: node-1}
        - {addresses: [10.0.0.3], conditions: {ready: true}, nodeName: node-2}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: drain, namespace: default}
        spec:
          clusterIP: 10.96.0.54
          ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: drain-1, namespace: default, labels: {kubernetes.io/service-name: drain}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - {addresses: [10.0.0.3], conditions: {ready: false, serving: true, terminating: true}}

        """

    /// `python3 tcp-connects.py HOST PORT COUNT` in the namespace: "OK [(name, count)…]".
    static func connects(_ namespace: TestNamespace, _ host: String, _ port: Int, _ count: Int) -> String {
        ((try? namespace.run(["python3", "\(Shell.fixtures)/tcp-connects.py", host, "\(port)", "\(count)"]))?.output ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func udp(_ namespace: TestNamespace, _ host: String, _ port: Int) -> String {
        let script = "import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2); "
            + "s.sendto(b'q',('\(host)',\(port))); print(s.recvfrom(200)[0].decode().split()[0])"
        return ((try? namespace.run(["python3", "-c", script]))?.output ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("1,000 of 1,000 connects complete with one of three endpoints not listening; UDP, localhost NodePorts, an LB IP with ETP Local, ClientIP affinity, terminating-only; no endpoints refused")
    func retriesRefusedEndpoints() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("userspace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.cluster.write(to: directory.appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)
        try await TestNamespace.with("us") { namespace in
            try namespace.runChecked(["ip", "link", "set", "lo", "up"])
            for address in ["10.96.0.50", "10.96.0.51", "10.96.0.52", "10.96.0.53", "10.96.0.54", "10.96.100.1",
                            "10.0.0.2", "10.0.0.3", "10.0.0.4"] {
                try namespace.runChecked(["ip", "addr", "add", "\(address)/32", "dev", "lo"])
            }
            try await SwitchyardProcess.with(["echo-server", "--name", "a", "--tcp", "8080", "--udp", "8053", "--bind", "10.0.0.2"],
                                             netns: namespace.name) { _ in
                try await SwitchyardProcess.with(["echo-server", "--name", "b", "--tcp", "8080", "--udp", "8053", "--bind", "10.0.0.3"],
                                                 netns: namespace.name) { _ in
                    try await SwitchyardProcess.with(
                        ["run", directory.path, "--node", "node-1", "--proxy-mode", "userspace", "--userspace-listen", "127.0.0.1",
                         "--no-dns", "--healthz-bind-address", "", "--metrics-bind-address", ""],
                        netns: namespace.name
                    ) { daemon in
                        #expect(await eventually(timeout: .seconds(20)) { Self.connects(namespace, "10.96.0.50", 80, 1).hasPrefix("1 ") },
                                "log:\n\(daemon.log)")
                        let result = Self.connects(namespace, "10.96.0.50", 80, 1000)
                        #expect(result.hasPrefix("1000 "), "10.0.0.4 refuses: the proxy moves on to the next endpoint. \(result)")
                        #expect(result.contains("'a'") && result.contains("'b'"), "\(result)")
                        #expect(["a", "b"].contains(Self.udp(namespace, "10.96.0.50", 53)), "UDP through the ClusterIP")
                        #expect(Self.connects(namespace, "127.0.0.1", 30080, 10).hasPrefix("10 "), "localhost NodePort, TCP")
                        let sticky = Self.connects(namespace, "10.96.0.51", 80, 20)
                        #expect(sticky.hasPrefix("20 [(") && !sticky.contains("), ("), "ClientIP affinity: one endpoint for 20 connects: \(sticky)")
                        #expect(["a", "b"].contains(Self.udp(namespace, "127.0.0.1", 30053)), "localhost NodePort, UDP")
                        let lb = Self.connects(namespace, "10.96.100.1", 80, 10)
                        #expect(lb == "10 [('a', 10)]", "LB IP, externalTrafficPolicy Local: only this node's endpoint: \(lb)")
                        let cluster = Self.connects(namespace, "10.96.0.53", 80, 20)
                        #expect(cluster.contains("'a'") && cluster.contains("'b'"), "its ClusterIP reaches both: \(cluster)")
                        let drain = Self.connects(namespace, "10.96.0.54", 80, 5)
                        #expect(drain == "5 [('b', 5)]", "terminating-only: served by the serving endpoint: \(drain)")
                        let refused = try namespace.run(["python3", "-c",
                            "import socket\ntry:\n socket.create_connection(('10.96.0.52', 80), timeout=2); print('connected')\nexcept Exception as e: print(type(e).__name__)"])
                        #expect(refused.output.contains("ConnectionRefusedError"), "no endpoints: refused at once, \(refused.output)")
                        let ruleset = try namespace.runChecked(["nft", "list", "ruleset"])
                        #expect(ruleset.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no netfilter rule: \(ruleset)")
                    }
                }
            }
        }
    }
}
