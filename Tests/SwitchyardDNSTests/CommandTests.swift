import Foundation
import SwitchyardTestSupport
import Testing

@Suite("switchyard dns command", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: Shell.switchyardBinary), "needs the built switchyard executable (swift build)"))
struct CommandTests {
    @Test("serves examples/cluster, follows a manifest edit, exits on SIGTERM")
    func followsFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-dns-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.copyItem(atPath: ExamplesCluster.path, toPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }

        try await SwitchyardProcess.with(["dns", directory.path, "--listen", "127.0.0.1:0", "--upstream", "none"]) { process in
            // "dns: serving N names (RSS M MB) on [IPv4]127.0.0.1/127.0.0.1:PORT (udp+tcp); …"
            let line = await process.logLine(containing: "(udp+tcp)", timeout: .seconds(30)) ?? ""
            guard let portText = line.split(separator: "(udp+tcp)").first?.split(separator: ":").last,
                  let port = Int(portText.trimmingCharacters(in: .whitespaces))
            else { throw TestFailure("no port in '\(line)'") }

            func web() throws -> String {
                try run("dig", ["@127.0.0.1", "-p", "\(port)", "+short", "web.default.svc.cluster.local"])?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            }
            #expect(try web() == "10.96.0.20")

            let file = directory.appendingPathComponent("20-web.yaml")
            let text = try String(contentsOf: file, encoding: .utf8)
            try text.replacingOccurrences(of: "10.96.0.20", with: "10.96.0.29").write(to: file, atomically: true, encoding: .utf8)
            var answer = ""
            for _ in 0..<50 {
                answer = try web()
                if answer == "10.96.0.29" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(answer == "10.96.0.29")

            #expect(await process.stop() == 0, "SIGTERM ends it cleanly")
        }
    }
}
