import Foundation
import Logging
import Testing
@testable import SwitchyardDaemon

@Suite("Logs")
struct LogTests {
    @Test("--log-format json writes one object per line, fixed keys first, metadata sorted and escaped")
    func jsonLine() {
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_800_000_000.5), level: .warning, label: "switchyard",
            message: "sync failed", metadata: ["error": "kernel said \"no\"\nEINVAL", "consecutive_failures": "2"])
        #expect(line == #"{"ts":"2027-01-15T08:00:00.500Z","level":"warning","logger":"switchyard","msg":"sync failed","consecutive_failures":"2","error":"kernel said \"no\"\nEINVAL"}"# + "\n")
    }

    @Test("Go time text as kube-proxy prints it", arguments: zip(
        [1_800_000_000.0, 1_800_000_000.25, 1_800_000_061.5],
        ["2027-01-15 08:00:00 +0000 UTC", "2027-01-15 08:00:00.25 +0000 UTC", "2027-01-15 08:01:01.5 +0000 UTC"]))
    func goTime(seconds: Double, text: String) {
        #expect(GoTime.format(seconds) == text)
    }
}
