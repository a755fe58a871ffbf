import Logging
import Synchronization
import Testing
@testable import SwitchyardDaemon

@Suite("Sync log lines")
struct SyncLogTests {
    /// Every record logged through a ``Recording`` handler.
    final class Records: Sendable {
        let entries = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
    }

    /// Keeps every record logged through it.
    struct Recording: LogHandler {
        let records: Records
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            records.entries.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    @Test("a set whose declared size was raised before the commit is named in a notice")
    func raisedSetSize() {
        let handler = Recording(records: Records())
        let logger = Logger(label: "test") { _ in handler }
        var report = SyncReport(kind: .incremental)
        report.programming = ProgrammingReport(operations: 3, raisedSetSizes: ["ip switchyard service-slots → 1572864"])
        SyncLog.succeeded(report, logger: logger)
        let notices = handler.records.entries.withLock { $0.filter { $0.level == .notice } }
        #expect(notices.count == 1)
        #expect(notices.first?.metadata["set"] == "ip switchyard service-slots → 1572864")

        SyncLog.succeeded(SyncReport(kind: .incremental), logger: logger)
        #expect(handler.records.entries.withLock { $0.filter { $0.level == .notice }.count } == 1, "no raise, no notice")
    }
}
