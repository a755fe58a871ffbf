import Foundation
import Testing
import SwitchyardModel
import SwitchyardTestSupport
@testable import SwitchyardSandbox

/// Why these tests cannot run here (not root, no `ip`/`nft`, no built `switchyard`), or nil.
private let unavailable: String? = TestNamespace.unavailableReason
    ?? (FileManager.default.isExecutableFile(atPath: Shell.switchyardBinary) ? nil : "needs the built switchyard executable (swift build)")

/// Real namespaces, real traffic. Each test uses its own tag (with this process's id, so a crashed
/// earlier run's leftovers with the same tag are cleaned first) and tears down whatever happens.
@Suite("ClusterSandbox in network namespaces", .enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
struct ClusterSandboxTests {
    static func tag(_ letter: String) -> String { letter + String(getpid() % 100_000) }

    func withSandbox(_ letter: String, _ body: (ClusterSandbox) async throws -> Void) async throws {
        let configuration = SandboxConfiguration(snapshot: Fixture.snapshot, tag: Self.tag(letter))
        try await ClusterSandbox.with(configuration, echoServer: Shell.switchyardBinary) { sandbox in
            try await body(sandbox)
        }
        let left = try Shell.run(["ip", "netns", "list"]).output
        #expect(!left.contains(SandboxLayout.prefix(tag: configuration.tag)), "teardown left namespaces: \(left)")
    }

    let web = Fixture.ip("10.244.0.10")
    let client = Fixture.ip("192.168.50.100")
    let node = Fixture.ip("192.168.50.10")

    @Test("pods answer the node and the client with their name and the source they saw, over IPv4 and IPv6")
    func reachability() async throws {
        try await withSandbox("r") { sandbox in
            print("sandbox bring-up for \(sandbox.configuration.pods.count) pods took \(sandbox.bringUpDuration)")
            #expect(sandbox.bringUpDuration < .seconds(10))
            let fromNode = try #require(sandbox.request(from: sandbox.nodeNamespace, to: web, port: 8080).reply)
            #expect(fromNode.name == "web-a")
            #expect(fromNode.sourceAddress == Fixture.ip("169.254.1.1"), "the node reaches pods from its veth gateway address")
            let fromClient = try #require(sandbox.request(from: sandbox.clientNamespace, to: web, port: 8080).reply)
            #expect(fromClient.name == "web-a")
            #expect(fromClient.sourceAddress == client)
            let v6 = try #require(sandbox.request(from: sandbox.clientNamespace, to: Fixture.ip("fd00:10:244::3c"), port: 8080).reply)
            #expect(v6.name == "api-a")
            #expect(v6.sourceAddress == Fixture.ip("fd00:50::100"))
            let udp = sandbox.request(from: sandbox.clientNamespace, to: Fixture.ip("10.244.0.2"), port: 53, proto: .udp)
            #expect(udp.name == "dns-a")
            // A pod reaches another pod (through the node), the node's own server and the outside hosts.
            let podNamespace = try #require(sandbox.namespace(of: ObjectKey(namespace: "default", name: "web-b")))
            #expect(sandbox.request(from: podNamespace, to: web, port: 8080).reply?.sourceAddress == Fixture.ip("10.244.0.11"))
            #expect(sandbox.request(from: sandbox.clientNamespace, to: node, port: 6443).name == "node-1")
            #expect(sandbox.request(from: podNamespace, to: Fixture.ip("192.168.50.101"), port: 3306).name == "host-192.168.50.101")
            // An extra source address is usable and routed back.
            let sourced = sandbox.request(from: sandbox.clientNamespace, to: web, port: 8080, source: Fixture.ip("203.0.113.10"))
            #expect(sourced.reply?.sourceAddress == Fixture.ip("203.0.113.10"))
            // Nothing listens on 9999: refused at once.
            #expect(sandbox.request(from: sandbox.clientNamespace, to: web, port: 9999) == .refused)
            #expect(sandbox.namespace(owning: web) == sandbox.namespace(of: ObjectKey(namespace: "default", name: "web-a")))
        }
    }

    @Test("a DNAT rule in the node namespace carries TCP and UDP; reject refuses, drop times out")
    func natRules() async throws {
        try await withSandbox("n") { sandbox in
            let vip = Fixture.ip("10.96.0.99")
            try sandbox.runChecked(["nft", "-f", "-"], in: sandbox.nodeNamespace, input: """
                table ip sandbox-test {
                    chain prerouting {
                        type nat hook prerouting priority dstnat; policy accept;
                        ip daddr 10.96.0.99 tcp dport 80 dnat to 10.244.0.10:8080
                        ip daddr 10.96.0.99 udp dport 53 dnat to 10.244.0.2:53
                    }
                    chain filter {
                        type filter hook forward priority filter; policy accept;
                        ip daddr 10.96.0.98 tcp dport 80 reject with tcp reset
                        ip daddr 10.96.0.98 udp dport 53 reject
                        ip daddr 10.96.0.97 drop
                    }
                }
                """)
            let tcp = try #require(sandbox.request(from: sandbox.clientNamespace, to: vip, port: 80).reply)
            #expect(tcp.name == "web-a")
            #expect(tcp.sourceAddress == client, "DNAT without masquerade keeps the client's address")
            #expect(sandbox.request(from: sandbox.clientNamespace, to: vip, port: 53, proto: .udp).name == "dns-a")

            let start = ContinuousClock.now
            #expect(sandbox.request(from: sandbox.clientNamespace, to: Fixture.ip("10.96.0.98"), port: 80, timeout: .seconds(2)) == .refused)
            #expect(sandbox.request(from: sandbox.clientNamespace, to: Fixture.ip("10.96.0.98"), port: 53, proto: .udp, timeout: .seconds(2)) == .refused)
            #expect(start.duration(to: .now) < .seconds(1), "a reject answers at once")
            for proto in [TransportProtocol.tcp, .udp] {
                #expect(sandbox.request(from: sandbox.clientNamespace, to: Fixture.ip("10.96.0.97"), port: 80, proto: proto, timeout: .milliseconds(300)) == .timedOut)
            }
        }
    }

    @Test("each request is balanced anew; a hairpin to a pod's own service lands on it, masqueraded to the node IP")
    func balancingAndHairpin() async throws {
        try await withSandbox("b") { sandbox in
            try sandbox.runChecked(["nft", "-f", "-"], in: sandbox.nodeNamespace, input: """
                table ip sandbox-test {
                    chain prerouting {
                        type nat hook prerouting priority dstnat; policy accept;
                        ip daddr 10.96.0.99 tcp dport 80 dnat to numgen inc mod 2 map { 0 : 10.244.0.10, 1 : 10.244.0.11 } : 8080
                        ip daddr 10.96.0.99 udp dport 53 dnat to numgen inc mod 2 map { 0 : 10.244.0.10, 1 : 10.244.0.2 } : 53
                        ip daddr 10.96.0.100 tcp dport 80 dnat to 10.244.0.10:8080
                    }
                    chain postrouting {
                        type nat hook postrouting priority srcnat; policy accept;
                        ip saddr 10.244.0.10 ip daddr 10.244.0.10 masquerade
                    }
                }
                """)
            let vip = Fixture.ip("10.96.0.99")
            let start = ContinuousClock.now
            let names = sandbox.requests(40, from: sandbox.clientNamespace, to: vip, port: 80).compactMap(\.name)
            print("40 TCP requests through DNAT took \(start.duration(to: .now))")
            #expect(names.count == 40)
            #expect(Dictionary(grouping: names, by: { $0 }).mapValues(\.count) == ["web-a": 20, "web-b": 20])
            // UDP: every datagram comes from a new socket, so each is a new conntrack entry.
            let udp = sandbox.requests(4, from: sandbox.clientNamespace, to: vip, port: 53, proto: .udp)
            #expect(udp.map(\.description).filter { $0 == "refused" }.count == 2, "web-a has no UDP 53: \(udp)")
            #expect(udp.compactMap(\.name) == ["dns-a", "dns-a"])

            let webA = try #require(sandbox.namespace(of: ObjectKey(namespace: "default", name: "web-a")))
            let hairpin = try #require(sandbox.request(from: webA, to: Fixture.ip("10.96.0.100"), port: 80).reply)
            #expect(hairpin.name == "web-a")
            #expect(hairpin.sourceAddress == node, "masquerade picks the node's LAN address")
        }
    }

    @Test("a held connection survives a rule change; a stopped server refuses and can be restarted")
    func heldConnection() async throws {
        try await withSandbox("h") { sandbox in
            let held = try sandbox.hold(from: sandbox.clientNamespace, to: web, port: 8080)
            #expect(held.greeting.name == "web-a")
            #expect(held.isAlive())
            try sandbox.runChecked(["nft", "add table ip other; add chain ip other c { type filter hook forward priority 0; }"], in: sandbox.nodeNamespace)
            #expect(held.isAlive(), "an unrelated change does not break the connection")

            let webA = try #require(sandbox.namespace(of: ObjectKey(namespace: "default", name: "web-a")))
            try sandbox.stopProcesses(in: webA)
            #expect(!held.isAlive(), "the server is gone")
            // The kernel closes a killed process's listener asynchronously: under load a connection can
            // still be accepted (then reset) for a moment, so allow it a second to go.
            var outcome = sandbox.request(from: sandbox.clientNamespace, to: web, port: 8080)
            for _ in 0..<20 where outcome != .refused {
                try await Task.sleep(for: .milliseconds(50))
                outcome = sandbox.request(from: sandbox.clientNamespace, to: web, port: 8080)
            }
            #expect(outcome == .refused)
            try sandbox.startServer(in: webA, name: "web-a2", ports: SandboxPorts(tcp: [8080]))
            #expect(sandbox.request(from: sandbox.clientNamespace, to: web, port: 8080).name == "web-a2")
        }
    }

    @Test("a new sandbox removes what a crashed run with the same tag left behind")
    func leftovers() throws {
        let tag = Self.tag("l")
        let configuration = SandboxConfiguration(pods: Array(Fixture.pods.prefix(2)), endpointSlices: Fixture.slices, tag: tag)
        // Simulate a crash: create, then "forget" the sandbox without tearing down.
        _ = try ClusterSandbox.create(configuration, echoServer: Shell.switchyardBinary)
        let second = try ClusterSandbox.create(configuration, echoServer: Shell.switchyardBinary)
        defer { second.teardown() }
        #expect(second.request(from: second.clientNamespace, to: web, port: 8080).name == "web-a")
        second.teardown()
        #expect(ClusterSandbox.removeLeftovers(tag: tag).isEmpty, "teardown removed everything")
    }
}
