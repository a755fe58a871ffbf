import Testing
import SwitchyardModel
@testable import SwitchyardSandbox

/// The configuration derived from a cluster and the bring-up script, checked without root.
@Suite("Sandbox configuration and layout")
struct SandboxLayoutTests {
    let configuration = SandboxConfiguration(snapshot: Fixture.snapshot, tag: "demo")

    @Test("pods, ports, hosts and the node's own endpoints come from the cluster")
    func derived() {
        #expect(configuration.nodeName == "node-1")
        #expect(configuration.nodeAddresses.map(\.description) == ["192.168.50.10/24", "fd00:50::10/64"])
        #expect(configuration.clientAddresses.map(\.description) == ["192.168.50.100/24", "fd00:50::100/64"])
        #expect(configuration.pods.map(\.name) == ["api-a", "dns-a", "gateway-remote", "web-a", "web-b"])
        let byName = Dictionary(uniqueKeysWithValues: configuration.pods.map { ($0.name, $0) })
        #expect(byName["dns-a"]?.ports == SandboxPorts(tcp: [53], udp: [53]))
        #expect(byName["api-a"]?.ports == SandboxPorts(tcp: [8080]))
        #expect(byName["api-a"]?.addresses == [Fixture.ip("10.244.0.60"), Fixture.ip("fd00:10:244::3c")])
        #expect(byName["gateway-remote"]?.isLocal == false)
        #expect(byName["web-a"]?.isLocal == true)
        #expect(configuration.hosts.map(\.name) == ["host-192.168.50.100", "host-192.168.50.101"])
        #expect(configuration.nodePorts == SandboxPorts(tcp: [6443]))
        #expect(configuration.extraClientAddresses == [Fixture.ip("198.51.100.10"), Fixture.ip("203.0.113.10")])
        #expect(configuration.clientRoutes == [CIDR(host: Fixture.ip("192.168.50.240"))])
    }

    @Test("namespace and interface names are short and unique")
    func names() {
        let layout = SandboxLayout(configuration)
        #expect(layout.node == "sy-demo-node")
        #expect(layout.client == "sy-demo-client")
        #expect(layout.pods.map(\.namespace) == (1...5).map { "sy-demo-p\($0)" })
        #expect(Set(layout.namespaces).count == layout.namespaces.count)
        #expect(layout.namespaces.allSatisfy { $0.hasPrefix(layout.prefix) && $0.count <= 15 })
        #expect(layout.pods.allSatisfy { $0.nodeInterface.count <= 15 })
    }

    @Test("the script creates only sy- namespaces and configures every one inside itself")
    func script() {
        let layout = SandboxLayout(configuration)
        let lines = layout.setupScript.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("netns add ") } == layout.namespaces.map { "netns add \($0)" })
        // Every `ip` invocation outside a batch targets a sandbox namespace.
        for line in lines where line.hasPrefix("ip ") && line != "ip -batch - <<'EOF'" {
            #expect(line.hasPrefix("ip -n sy-demo-") || line.hasPrefix("ip netns exec sy-demo-"), "\(line)")
        }
        #expect(lines.contains("link add veth3 type veth peer name eth0 netns sy-demo-p3"))
        #expect(lines.contains("route add 10.244.1.40/32 dev veth3"))
        #expect(lines.contains("route add fd00:10:244::3c/128 dev veth1"))
        #expect(lines.contains("addr add fd00:10:244::3c/128 dev eth0 nodad"))
        #expect(lines.contains("route add default via fe80::1 dev eth0"))
        #expect(lines.contains("route add 203.0.113.10/32 via 192.168.50.100 dev eth0"), "extra sources are routed back")
        #expect(lines.contains("addr add 192.168.50.101/32 dev eth0"), "a host's address goes on the client")
        #expect(!lines.contains("addr add 192.168.50.100/32 dev eth0"), "the client's own address is not added twice")
        #expect(lines.contains("route add 192.168.50.240/32 via 192.168.50.10 dev eth0"))
        #expect(lines.contains { $0.contains("sy-demo-node sysctl") && $0.contains("net.ipv4.ip_forward=1") })
    }

    @Test("invalid tags and doubly claimed addresses are rejected", arguments: ["", "Demo", "toolongtag", "a-b"])
    func invalidTag(tag: String) {
        var bad = configuration
        bad.tag = tag
        #expect(throws: SandboxError.invalidTag(tag)) { try bad.validate() }
    }

    @Test("a pod address claimed twice is rejected")
    func duplicate() throws {
        try configuration.validate()
        var bad = configuration
        bad.extraClientAddresses.append(Fixture.ip("10.244.0.10"))
        #expect(throws: SandboxError.duplicateAddress("10.244.0.10")) { try bad.validate() }
    }
}
