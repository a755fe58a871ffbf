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

    @Test("log timestamps are what ISO8601DateFormatter writes (UTC, milliseconds)", arguments: [
        0.0, 946_684_799.999, 1_700_000_000.123, 1_800_000_000.5, 1_800_000_061.0004, 1_709_164_800.25, 4_102_444_799.9,
    ])
    func timestamps(seconds: Double) {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = Date(timeIntervalSince1970: seconds)
        #expect(JSONLogHandler.iso8601(date) == reference.string(from: date))
    }

    @Test("Go time text as kube-proxy prints it", arguments: zip(
        [1_800_000_000.0, 1_800_000_000.25, 1_800_000_061.5],
        ["2027-01-15 08:00:00 +0000 UTC", "2027-01-15 08:00:00.25 +0000 UTC", "2027-01-15 08:01:01.5 +0000 UTC"]))
    func goTime(seconds: Double, text: String) {
        #expect(GoTime.format(seconds) == text)
    }
}
