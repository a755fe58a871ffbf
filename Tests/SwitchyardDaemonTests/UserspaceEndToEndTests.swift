import Foundation
import SwitchyardTestSupport
import Testing

/// `--proxy-mode userspace` (issue 17, items 3 and 4). Without CAP_NET_ADMIN: the daemon in a
/// namespace whose ClusterIP and endpoint addresses are on `lo`, two of three endpoints listening; no
/// netfilter rule anywhere. With it: pods and the node reach ClusterIPs that are no local address
/// through the steering table.
@Suite("Userspace proxy mode", .serialized,
       .enabled(if: TestNamespace.unavailableReason == nil && Shell.has("python3"),
                "skipped: \(TestNamespace.unavailableReason ?? "needs python3")"))
struct UserspaceEndToEndTests {
    /// Service `web` (ClusterIP 10.96.0.50, TCP 80 → 8080 and UDP 53 → 8053, NodePorts 30080 and
    /// 30053) with one ready endpoint per address.
    static func web(endpoints: [String]) -> String {
        """
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
        \(endpoints.map { "- {addresses: [\($0)], conditions: {ready: true}}" }.joined(separator: "\n"))
        """
    }

    static let cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        \(web(endpoints: ["10.0.0.2", "10.0.0.3", "10.0.0.4"]))
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

    /// Runs the daemon without CAP_NET_ADMIN, as an unprivileged pod or a sandboxed runtime would.
    static let withoutNetAdmin = ["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin", "--"]

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
                        ["run", directory.path, "--node", "node-1", "--proxy-mode", "userspace", "--nodeport-localhost",
                         "--no-dns", "--healthz-bind-address", "", "--metrics-bind-address", ""],
                        netns: namespace.name, under: Self.withoutNetAdmin
                    ) { daemon in
                        #expect(await daemon.logLine(containing: "without CAP_NET_ADMIN") != nil, "log:\n\(daemon.log)")
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

    static let steered = """
        apiVersion: v1
        kind: Node
        metadata: {name: node-1}
        status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}
        ---
        \(web(endpoints: ["10.0.1.2", "10.0.1.3"]))
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: empty, namespace: default}
        spec:
          clusterIP: 10.96.0.52
          ports: [{name: http, port: 80, protocol: TCP}]

        """

    static let late = """
        apiVersion: v1
        kind: Service
        metadata: {name: late, namespace: default}
        spec:
          clusterIP: 10.96.0.60
          ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: late-1, namespace: default, labels: {kubernetes.io/service-name: late}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - addresses: [10.0.1.2]
          conditions: {ready: true}

        """

    @Test("with CAP_NET_ADMIN, the steering table delivers a pod's and the node's traffic to ClusterIPs that are no local address; a new Service is steered incrementally; cleanup removes it all")
    func steersServiceAddresses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("userspace-steer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.steered.write(to: directory.appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)
        try await TestNamespace.with("usn") { node in
            try await TestNamespace.with("usp") { pod in
                try await TestNamespace.with("use") { endpoint in
                    try NodeLocalDNSEndToEndTests.wire(node: node, pod: pod, endpoint: endpoint)
                    // 10.0.1.3 is an endpoint address nothing listens on; the node's own default route
                    // makes its clients' connects to a ClusterIP reach the output hook.
                    try endpoint.runChecked(["ip", "addr", "add", "10.0.1.3/24", "dev", "eth0"])
                    try node.runChecked(["ip", "route", "add", "default", "via", "10.0.1.2"])
                    try await SwitchyardProcess.with(["echo-server", "--name", "a", "--tcp", "8080", "--udp", "8053", "--bind", "10.0.1.2"],
                                                     netns: endpoint.name) { _ in
                        try await SwitchyardProcess.with(
                            ["run", directory.path, "--node", "node-1", "--proxy-mode", "userspace",
                             "--no-dns", "--healthz-bind-address", "", "--metrics-bind-address", ""],
                            netns: node.name
                        ) { daemon in
                            defer { _ = try? node.run([Shell.switchyardBinary, "cleanup"]) }
                            #expect(await eventually(timeout: .seconds(20)) { Self.connects(pod, "10.96.0.50", 80, 1).hasPrefix("1 ") },
                                    "log:\n\(daemon.log)")
                            let result = Self.connects(pod, "10.96.0.50", 80, 200)
                            #expect(result == "200 [('a', 200)]", "a pod through the ClusterIP; 10.0.1.3 refuses and is skipped: \(result)")
                            #expect(Self.udp(pod, "10.96.0.50", 53) == "a", "UDP through the ClusterIP")
                            #expect(Self.connects(pod, "10.0.0.1", 30080, 10) == "10 [('a', 10)]", "NodePort on the node's address")
                            #expect(Self.connects(node, "10.96.0.50", 80, 10) == "10 [('a', 10)]", "the node's own client")
                            let refused = try pod.run(["python3", "-c",
                                "import socket\ntry:\n socket.create_connection(('10.96.0.52', 80), timeout=2); print('connected')\nexcept Exception as e: print(type(e).__name__)"])
                            #expect(refused.output.contains("ConnectionRefusedError"), "no endpoints: refused at once, \(refused.output)")
                            let table = try node.runChecked(["nft", "list", "set", "ip", "switchyard", "userspace-frontends"])
                            #expect(table.contains("10.96.0.50 . tcp . 80") && table.contains("10.96.0.52 . tcp . 80"), "\(table)")

                            try Self.late.write(to: directory.appendingPathComponent("late.yaml"), atomically: true, encoding: .utf8)
                            #expect(await eventually(timeout: .seconds(20)) { Self.connects(pod, "10.96.0.60", 80, 1) == "1 [('a', 1)]" },
                                    "a new Service, log:\n\(daemon.log)")
                            try FileManager.default.removeItem(at: directory.appendingPathComponent("late.yaml"))
                            #expect(await eventually(timeout: .seconds(20)) {
                                let set = (try? node.runChecked(["nft", "list", "set", "ip", "switchyard", "userspace-frontends"])) ?? ""
                                return set.contains("10.96.0.50 . tcp . 80") && !set.contains("10.96.0.60")
                            }, "the removed Service's address is no longer steered")
                            #expect(daemon.log.contains("kind=incremental"), "the changes were incremental syncs: \(daemon.log)")
                        }
                        _ = try node.runChecked([Shell.switchyardBinary, "cleanup"])
                        #expect(try node.runChecked(["nft", "list", "ruleset"]).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
                        #expect(!(try node.runChecked(["ip", "rule"])).contains("fwmark"), "cleanup removes the policy route")
                    }
                }
            }
        }
    }

    @Test("--nodeport-localhost in the kernel modes: 127.0.0.1 NodePorts, TCP and UDP, through the userspace proxy; refused without it",
          arguments: ["nftables", "iptables"])
    func localhostNodePortsInKernelModes(mode: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("localhost-np-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.cluster.write(to: directory.appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)
        try await TestNamespace.with("lnp") { namespace in
            try namespace.runChecked(["ip", "link", "set", "lo", "up"])
            try namespace.runChecked(["ip", "addr", "add", "10.0.0.2/32", "dev", "lo"])
            try await SwitchyardProcess.with(["echo-server", "--name", "a", "--tcp", "8080", "--udp", "8053", "--bind", "10.0.0.2"],
                                             netns: namespace.name) { _ in
                let arguments = ["run", directory.path, "--node", "node-1", "--proxy-mode", mode,
                                 "--no-dns", "--healthz-bind-address", "", "--metrics-bind-address", ""]
                try await SwitchyardProcess.with(arguments, netns: namespace.name) { daemon in
                    #expect(await daemon.logLine(containing: "synced") != nil, "log:\n\(daemon.log)")
                    #expect(Self.connects(namespace, "127.0.0.1", 30080, 1) == "0 []", "off by default (CVE-2020-8558)")
                }
                try await SwitchyardProcess.with(arguments + ["--nodeport-localhost"], netns: namespace.name) { daemon in
                    #expect(await eventually(timeout: .seconds(20)) { Self.connects(namespace, "127.0.0.1", 30080, 1) == "1 [('a', 1)]" },
                            "log:\n\(daemon.log)")
                    #expect(Self.connects(namespace, "127.0.0.1", 30080, 20) == "20 [('a', 20)]", "localhost NodePort, TCP")
                    #expect(Self.udp(namespace, "127.0.0.1", 30053) == "a", "localhost NodePort, UDP")
                }
                _ = try? namespace.run([Shell.switchyardBinary, "cleanup"])
            }
        }
    }
}
