import Foundation
import SwitchyardTestSupport
import Testing

/// `switchyard run`'s DNS configured as an operator configures CoreDNS (issue 14, item 2): a cluster
/// domain that is not cluster.local and a stub domain, answered over the wire with real dig.
@Suite("DNS configuration in the daemon", .serialized,
       .enabled(if: TestNamespace.unavailableReason == nil && Shell.has("dig"), "skipped: \(TestNamespace.unavailableReason ?? "needs dig")"))
struct DNSConfigEndToEndTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../examples/cluster").standardized.path

    static func dig(_ port: Int, _ name: String) -> String {
        ((try? Shell.run(["dig", "@127.0.0.1", "-p", "\(port)", "+short", "+time=2", "+tries=1", name]))?.output ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("--cluster-domain example.internal answers there (not cluster.local); --dns-stub-domain sends corp.example to its server")
    func clusterDomainAndStub() async throws {
        // The stub domain's server: another switchyard DNS, authoritative for corp.example.
        try await SwitchyardProcess.with(["dns", Self.examples, "--zone", "corp.example", "--listen", "127.0.0.1:0", "--upstream", "none"]) { stub in
            let line = await stub.logLine(containing: "(udp+tcp)", timeout: .seconds(30)) ?? ""
            guard let portText = line.split(separator: "(udp+tcp)").first?.split(separator: ":").last,
                  let stubPort = Int(portText.trimmingCharacters(in: .whitespaces))
            else { throw POSIXError(.EPROTO) }
            let dnsPort = try freePort()
            try await TestNamespace.with("dnscfg") { namespace in
                try namespace.runChecked(["ip", "link", "set", "lo", "up"])
                try await SwitchyardProcess.with([
                    "run", Self.examples, "--netns", namespace.name, "--node", "node-1",
                    "--dns-listen", "127.0.0.1:\(dnsPort)", "--cluster-domain", "example.internal",
                    "--dns-stub-domain", "corp.example=127.0.0.1:\(stubPort)", "--dns-upstream", "none", "--dns-ttl", "7",
                    "--healthz-bind-address", "", "--metrics-bind-address", "",
                ]) { daemon in
                    #expect(await eventually(timeout: .seconds(15)) { Self.dig(dnsPort, "web.default.svc.example.internal") == "10.96.0.20" },
                            "log:\n\(daemon.log)")
                    let answer = ((try? Shell.run(["dig", "@127.0.0.1", "-p", "\(dnsPort)", "+noall", "+answer", "web.default.svc.example.internal"]))?.output ?? "")
                        .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
                    #expect(answer == "web.default.svc.example.internal. 7 IN A 10.96.0.20", "TTL 7")
                    let refused = (try? Shell.run(["dig", "@127.0.0.1", "-p", "\(dnsPort)", "web.default.svc.cluster.local"]))?.output ?? ""
                    #expect(refused.contains("status: REFUSED"), "cluster.local is not a zone here and nothing is forwarded")
                    #expect(Self.dig(dnsPort, "web.default.svc.corp.example") == "10.96.0.20", "forwarded to the stub domain's server")
                }
            }
        }
    }
}
