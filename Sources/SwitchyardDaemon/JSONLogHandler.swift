import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SwitchyardModel

/// One JSON object per line on standard error: `{"ts":…,"level":…,"logger":…,"msg":…, metadata…}`
/// (`--log-format json`), for log collectors.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, level: Logger.Level = .info, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.logLevel = level
        self.write = write
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        write(Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    /// The JSON line (keys in a fixed order: ts, level, logger, msg, then metadata sorted by key).
    public static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var fields = [
            "\"ts\":\(JSONText.quote(iso8601(time)))", "\"level\":\(JSONText.quote(level.rawValue))", "\"logger\":\(JSONText.quote(label))",
            "\"msg\":\(JSONText.quote(message))",
        ]
        for key in metadata.keys.sorted() where !["ts", "level", "logger", "msg"].contains(key) {
            if let value = metadata[key] { fields.append("\(JSONText.quote(key)):\(json(value))") }
        }
        return "{" + fields.joined(separator: ",") + "}\n"
    }

    static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): JSONText.quote(text)
        case .stringConvertible(let value): JSONText.quote(value.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let pairs): "{" + pairs.keys.sorted().compactMap { key in pairs[key].map { "\(JSONText.quote(key)):\(json($0))" } }.joined(separator: ",") + "}"
        }
    }

    /// `2027-01-15T08:00:00.500Z`: UTC, milliseconds. Formatted from `gmtime_r`: an
    /// `ISO8601DateFormatter` per line went through ICU, whose touched pages alone were ~6 MiB of
    /// the daemon's resident memory (`/proc/PID/smaps`).
    static func iso8601(_ date: Date) -> String {
        // Whole milliseconds as ICU counts them (the date in milliseconds, rounded down).
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(millis, 3))Z"
    }
}
