import Foundation
import SwitchyardTestSupport
import Testing

/// `--nodeport-addresses CIDR…` against real interface addresses (issue 15, item 6): the CIDRs are
/// matched against the programmed namespace's addresses, in `rules` and in `run`, and `run` follows
/// addresses as they come and go.
@Suite("NodePort addresses from interface addresses", .serialized,
       .enabled(if: TestNamespace.unavailableReason == nil, "skipped: \(TestNamespace.unavailableReason ?? "")"))
struct NodePortAddressesTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../examples/cluster").standardized.path

    /// A namespace with a veth end holding 192.0.2.10/24 and 198.51.100.5/24.
    static func prepare(_ namespace: TestNamespace) throws {
        try namespace.runChecked(["ip", "link", "set", "lo", "up"])
        try namespace.runChecked(["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        try namespace.runChecked(["ip", "link", "set", "v0", "up"])
        try namespace.runChecked(["ip", "addr", "add", "192.0.2.10/24", "dev", "v0"])
        try namespace.runChecked(["ip", "addr", "add", "198.51.100.5/24", "dev", "v0"])
    }

    static func nodePortIPs(_ namespace: TestNamespace, family: String = "ip") -> String {
        (try? namespace.run(["nft", "list", "set", family, "switchyard", "nodeport-ips"]).output) ?? ""
    }

    @Test("switchyard rules --apply: NodePorts accepted on the addresses inside the CIDRs only")
    func rulesCommand() async throws {
        try await TestNamespace.with("np-rules") { namespace in
            try Self.prepare(namespace)
            let result = try Shell.run([Shell.switchyardBinary, "rules", Self.examples, "--node", "node-1",
                                        "--nodeport-addresses", "192.0.2.0/24", "--apply", "--netns", namespace.name])
            #expect(result.status == 0, "\(result.error)")
            let set = Self.nodePortIPs(namespace)
            #expect(set.contains("elements = { 192.0.2.10 }"), "\(set)")
        }
    }

    @Test("switchyard run follows addresses added and removed, in both families")
    func daemonFollowsAddresses() async throws {
        try await TestNamespace.with("np-run") { namespace in
            try Self.prepare(namespace)
            try await SwitchyardProcess.with([
                "run", Self.examples, "--netns", namespace.name, "--node", "node-1", "--no-dns",
                "--nodeport-addresses", "192.0.2.0/24,2001:db8::/64", "--sync-period", "500ms", "--min-sync-period", "100ms",
                "--healthz-bind-address", "", "--metrics-bind-address", "",
            ]) { daemon in
                #expect(await eventually(timeout: .seconds(10)) { Self.nodePortIPs(namespace).contains("192.0.2.10") },
                        "log:\n\(daemon.log)")
                #expect(!Self.nodePortIPs(namespace).contains("198.51.100.5"))

                try namespace.runChecked(["ip", "addr", "add", "192.0.2.11/24", "dev", "v0"])
                try namespace.runChecked(["ip", "-6", "addr", "add", "2001:db8::10/64", "dev", "v0", "nodad"])
                #expect(await eventually(timeout: .seconds(10)) { Self.nodePortIPs(namespace).contains("192.0.2.11") })
                #expect(await eventually(timeout: .seconds(10)) { Self.nodePortIPs(namespace, family: "ip6").contains("2001:db8::10") })

                try namespace.runChecked(["ip", "addr", "del", "192.0.2.10/24", "dev", "v0"])
                #expect(await eventually(timeout: .seconds(10)) { !Self.nodePortIPs(namespace).contains("192.0.2.10") })
                _ = await daemon.stop()
            }
        }
    }

    @Test("--service-cidr: the kernel takes the service-cidrs set and the drop for unallocated addresses, per family (issue 15, item 7)")
    func serviceCIDRs() async throws {
        try await TestNamespace.with("svc-cidr") { namespace in
            let result = try Shell.run([Shell.switchyardBinary, "rules", Self.examples, "--node", "node-1",
                                        "--service-cidr", "10.96.0.0/12,fd00:96::/108", "--apply", "--netns", namespace.name])
            #expect(result.status == 0, "\(result.error)")
            let v4 = try namespace.runChecked(["nft", "list", "table", "ip", "switchyard"])
            #expect(v4.contains("elements = { 10.96.0.0/12 }"))
            #expect(v4.contains("ip daddr @service-cidrs drop comment \"unallocated ClusterIP\""))
            let v6 = try namespace.runChecked(["nft", "list", "table", "ip6", "switchyard"])
            #expect(v6.contains("elements = { fd00:96::/108 }"))
        }
    }
}
