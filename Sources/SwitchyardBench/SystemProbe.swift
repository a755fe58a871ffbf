#if canImport(Glibc)
import Glibc
#endif

/// Process and kernel figures read from the system: peak RSS, kernel memory, load average.
public enum SystemProbe {
    /// getrusage(RUSAGE_SELF).ru_maxrss in bytes (Linux reports kilobytes).
    public static func peakRSSBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    /// Kernel memory that nf_tables objects land in: `Slab` + `VmallocUsed` of /proc/meminfo, in
    /// bytes. The growth over a load approximates what the ruleset costs (noisy on a busy machine).
    public static func kernelMemoryBytes() -> Int {
        let fields = meminfo()
        return ((fields["Slab"] ?? 0) + (fields["VmallocUsed"] ?? 0)) * 1024
    }

    /// /proc/meminfo as name → kB.
    static func meminfo() -> [String: Int] {
        var result: [String: Int] = [:]
        for line in readFile("/proc/meminfo").split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if parts.count >= 2, let value = Int(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    /// The first three fields of /proc/loadavg.
    public static func loadAverage() -> String {
        readFile("/proc/loadavg").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func readFile(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text` to `path` (truncating); false on failure.
    @discardableResult
    static func writeFile(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let utf8 = Array(text.utf8)
        var offset = 0
        while offset < utf8.count {
            let written = utf8.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return -1 }
                return write(fd, base + offset, bytes.count - offset)
            }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    /// Whether `program` is an executable on PATH.
    public static func has(_ program: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }
}

/// A private network namespace for one measurement, deleted by ``delete()``.
public struct BenchNamespace: Sendable {
    public let name: String

    /// Creates `sy-bench-<pid>-<n>`.
    public init(serial: Int) throws(BenchError) {
        name = "sy-bench-\(getpid())-\(serial)"
        let outcome: CommandOutcome
        do {
            outcome = try NamespacedCommand.run(["ip", "netns", "add", name], namespace: nil, timeout: 30)
        } catch {
            throw .namespace("ip netns add \(name): \(error)")
        }
        guard outcome.succeeded else { throw .namespace("ip netns add \(name) failed: \(outcome.errorText)") }
    }

    /// Deletes the namespace (and everything programmed in it).
    public func delete() {
        _ = try? NamespacedCommand.run(["ip", "netns", "delete", name], namespace: nil, timeout: 60)
    }
}

/// The benchmark cannot run.
public enum BenchError: Error, Sendable, CustomStringConvertible {
    case notRoot
    case missingTool(String)
    case namespace(String)
    case io(String)

    public var description: String {
        switch self {
        case .notRoot: "switchyard bench needs root: it creates network namespaces and programs nf_tables in them"
        case .missingTool(let tool): "switchyard bench needs `\(tool)` on PATH"
        case .namespace(let message): "network namespace: \(message)"
        case .io(let message): message
        }
    }
}
