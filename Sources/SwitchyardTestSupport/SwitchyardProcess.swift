import Foundation

/// Why a test could not start the `switchyard` executable.
public enum SwitchyardProcessError: Error, CustomStringConvertible {
    /// The executable is not where the build puts it (next to the test bundle).
    case binaryNotFound(path: String)

    public var description: String {
        switch self {
        case .binaryNotFound(let path): "switchyard binary not found at \(path); build it first (swift build)"
        }
    }
}

/// The built `switchyard` executable running as a child of a test, for the end-to-end tests that
/// drive the real command line. Standard output and error go to a log file the test can read
/// while the process runs.
public final class SwitchyardProcess: Sendable {
    /// The arguments after the executable's path (`run …`).
    public let arguments: [String]
    /// Where standard output and error go.
    public let logFile: URL
    private let process: Process
    private let logHandle: FileHandle

    /// Starts `switchyard arguments…` (inside the network namespace `netns` when given, through
    /// `ip netns exec`; under `wrapper`, a command that execs its arguments, such as `setpriv` dropping
    /// a capability), runs `body` with it, then terminates the process (if it still runs) and removes
    /// its log, whatever `body` did.
    public static func with<T>(_ arguments: [String], netns: String? = nil, under wrapper: [String] = [],
                               _ body: (SwitchyardProcess) async throws -> T) async throws -> T {
        let process = try SwitchyardProcess(arguments, netns: netns, wrapper: wrapper)
        defer { process.kill() }
        return try await body(process)
    }

    private init(_ arguments: [String], netns: String?, wrapper: [String]) throws {
        let binary = Shell.switchyardBinary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SwitchyardProcessError.binaryNotFound(path: binary)
        }
        self.arguments = arguments
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        logHandle = try FileHandle(forWritingTo: logFile)
        process = Process()
        let command = wrapper + [binary] + arguments
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = (netns.map { ["ip", "netns", "exec", $0] } ?? []) + command
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    /// The process id (for `prlimit --pid`, `/proc/PID/stat`).
    public var pid: Int32 { process.processIdentifier }

    /// Everything the process has written so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// The first log line that contains `text`, waiting up to `timeout` for it; nil if none came.
    public func logLine(containing text: String, timeout: Duration = .seconds(10)) async -> String? {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: timeout)
        while true {
            if let line = log.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            guard clock.now < end else { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Sends SIGTERM and waits for the exit (on a Dispatch thread, not the cooperative pool);
    /// returns the exit status.
    public func stop() async -> Int32 {
        let process = self.process
        process.terminate()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        return process.terminationStatus
    }

    /// Terminates the process if it still runs, waits for it, and closes and removes the log.
    private func kill() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? logHandle.close()
        try? FileManager.default.removeItem(at: logFile)
    }
}
