import Foundation
import Testing
import SwitchyardTestSupport

private let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples/cluster").path
private let binary = Shell.switchyardBinary
private let noBinary: String? = FileManager.default.isExecutableFile(atPath: binary) ? nil : "needs the built switchyard executable (swift build)"
private let unavailable: String? = TestNamespace.unavailableReason ?? noBinary

/// `switchyard sandbox`, `probe` and `echo-server` as a person runs them, on examples/cluster.
@Suite("switchyard sandbox and probe commands")
struct SandboxCommandTests {
    @Test("sandbox up --dry-run prints the bring-up for examples/cluster: node, client and 17 pods", .enabled(if: noBinary == nil, Comment(rawValue: noBinary ?? "")))
    func dryRun() throws {
        let result = try Shell.run([binary, "sandbox", "up", examples, "--tag", "dry", "--dry-run"])
        #expect(result.status == 0, "\(result.error)")
        let created = result.output.split(separator: "\n").filter { $0.hasPrefix("netns add ") }
        #expect(created.count == 19)
        #expect(created.prefix(2) == ["netns add sy-dry-node", "netns add sy-dry-client"])
        #expect(result.output.contains("addr add 192.168.50.10/24 dev eth0"))
    }

    @Test("sandbox up brings examples/cluster up; probe exit codes tell reply, refused and timeout apart; sandbox down removes all",
          .enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
    func upProbeDown() throws {
        let tag = "c" + String(getpid() % 100_000)
        let client = "sy-\(tag)-client"
        defer { _ = try? Shell.run([binary, "sandbox", "down", "--tag", tag]) }
        let start = ContinuousClock.now
        let up = try Shell.run([binary, "sandbox", "up", examples, "--tag", tag])
        print("sandbox up examples/cluster took \(start.duration(to: .now)) (process included)")
        #expect(up.status == 0, "\(up.error)")
        #expect(up.output.contains("sandbox \(tag): 19 namespaces up"))

        let probe = { (arguments: [String]) throws -> Shell.Result in
            try Shell.run(["ip", "netns", "exec", client, binary, "probe"] + arguments)
        }
        let reply = try probe(["10.244.0.10", "8080"])
        #expect(reply.status == 0)
        #expect(reply.output.hasPrefix("web-7c9d8f6b5-2x8kq 192.168.50.100:"))
        let udp = try probe(["--udp", "10.244.0.3", "53"])
        #expect(udp.output.hasPrefix("coredns-668d6bf9bc-m4jzt 192.168.50.100:"))
        let refused = try probe(["10.244.0.10", "9999"])
        #expect(refused.status == 10)
        #expect(refused.output == "refused\n")
        // No rules programmed yet: a service IP leads nowhere.
        let timeout = try probe(["10.96.0.20", "80", "--timeout", "200"])
        #expect(timeout.status == 11)
        #expect(timeout.output == "timeout\n")

        let down = try Shell.run([binary, "sandbox", "down", "--tag", tag])
        #expect(down.output.hasPrefix("sandbox \(tag): removed sy-\(tag)-client sy-\(tag)-node"))
        #expect(!(try Shell.run(["ip", "netns", "list"]).output.contains("sy-\(tag)-")))
    }
}
