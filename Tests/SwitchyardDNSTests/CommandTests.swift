import Foundation
import Testing

/// The built `switchyard` executable, when `swift build` has made it.
let switchyardBinary: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = root.appendingPathComponent(".build/debug/switchyard").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

@Suite("switchyard dns command", .serialized, .enabled(if: switchyardBinary != nil, "needs .build/debug/switchyard (swift build)"))
struct CommandTests {
    @Test("serves examples/cluster, follows a manifest edit, exits on SIGTERM")
    func followsFiles() async throws {
        guard let binary = switchyardBinary else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-dns-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.copyItem(atPath: ExamplesCluster.path, toPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["dns", directory.path, "--listen", "127.0.0.1:0", "--upstream", "none"]
        let log = directory.appendingPathExtension("log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // "dns: serving N names (RSS M MB) on [IPv4]127.0.0.1/127.0.0.1:PORT (udp+tcp); …"
        var line = ""
        for _ in 0..<200 where !line.contains("(udp+tcp)") {
            try await Task.sleep(for: .milliseconds(50))
            line = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
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

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
