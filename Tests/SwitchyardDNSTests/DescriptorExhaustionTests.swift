import Foundation
import SwitchyardTestSupport
import Testing

/// CPU seconds (user + system) `pid` has used, from /proc.
private func cpuSeconds(_ pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

@Suite("Out of file descriptors (issue 15, item 1)", .serialized,
       .enabled(if: Shell.has("prlimit") && Shell.has("dig"), "skipped: needs util-linux's prlimit and dig"))
struct DescriptorExhaustionTests {
    /// Seen: 300 connections held to the DNS port with a lowered limit made the EMFILE accept loop
    /// spin at ~100% CPU. NIO's accept backoff and the connection cap keep it idle now, and UDP answers.
    @Test("with its descriptors exhausted by held TCP connections, switchyard dns does not spin and keeps answering over UDP")
    func heldConnections() async throws {
        try await SwitchyardProcess.with(["dns", ExamplesCluster.path, "--listen", "127.0.0.1:0", "--upstream", "none"]) { process in
            let line = await process.logLine(containing: "(udp+tcp)", timeout: .seconds(30)) ?? ""
            guard let portText = line.split(separator: "(udp+tcp)").first?.split(separator: ":").last,
                  let port = Int(portText.trimmingCharacters(in: .whitespaces))
            else { throw TestFailure("no port in '\(line)'") }
            let limited = try Shell.run(["prlimit", "--pid", "\(process.pid)", "--nofile=96:96"])
            #expect(limited.status == 0, "\(limited.error)")

            var held: [Int32] = []
            defer { for fd in held { close(fd) } }
            for _ in 0..<150 {
                // The kernel completes the handshake from the backlog even when accept fails.
                if let fd = try? LoopbackTCP.connect(port: port) { held.append(fd) }
            }
            try await Task.sleep(for: .milliseconds(500))
            let before = cpuSeconds(process.pid)
            try await Task.sleep(for: .seconds(2))
            let used = cpuSeconds(process.pid) - before
            #expect(used < 0.5, "\(used) s of CPU in 2 s while out of descriptors")
            let answer = try Shell.run(["dig", "@127.0.0.1", "-p", "\(port)", "+short", "+notcp", "+time=2", "+tries=1", "web.default.svc.cluster.local"])
            #expect(answer.output.trimmingCharacters(in: .whitespacesAndNewlines) == "10.96.0.20")
            for fd in held { close(fd) }
            held = []
            try await Task.sleep(for: .milliseconds(300))
            let overTCP = try Shell.run(["dig", "@127.0.0.1", "-p", "\(port)", "+short", "+tcp", "+time=3", "+tries=2", "web.default.svc.cluster.local"])
            #expect(overTCP.output.trimmingCharacters(in: .whitespacesAndNewlines) == "10.96.0.20", "TCP serves again once descriptors are free")
        }
    }
}
