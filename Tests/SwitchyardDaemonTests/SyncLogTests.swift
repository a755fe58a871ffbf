import Testing
@testable import SwitchyardDaemon
import SwitchyardTestSupport

@Suite("Sync log lines")
struct SyncLogTests {
    @Test("a set whose declared size was raised before the commit is named in a notice")
    func raisedSetSize() {
        let capture = LogCapture()
        var report = SyncReport(kind: .incremental)
        report.programming = ProgrammingReport(operations: 3, raisedSetSizes: ["ip switchyard service-slots → 1572864"])
        SyncLog.succeeded(report, logger: capture.logger)
        let notices = capture.lines.withLock { $0.filter { $0.hasPrefix("notice ") } }
        #expect(notices.count == 1)
        #expect(notices.first?.contains("raised an nftables set's declared size") == true)
        #expect(notices.first?.contains("set=ip switchyard service-slots → 1572864") == true)

        SyncLog.succeeded(SyncReport(kind: .incremental), logger: capture.logger)
        #expect(capture.lines.withLock { $0.filter { $0.hasPrefix("notice ") }.count } == 1, "no raise, no notice")
    }
}
