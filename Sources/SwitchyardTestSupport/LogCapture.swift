import Logging
import Synchronization

/// Log messages captured for assertions.
public final class LogCapture: Sendable {
    public init() {}

    public let lines = Mutex<[String]>([])

    public var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    public func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let text = "\(event.level) \(event.message) " + all.keys.sorted().map { "\($0)=\(all[$0] ?? "")" }.joined(separator: " ")
            capture.lines.withLock { $0.append(text) }
        }
    }
}
