import Foundation

/// How a program run ended: its exit status and what it wrote.
public struct ProcessResult: Sendable, Hashable {
    public var status: Int32
    public var output: String
    public var error: String

    public init(status: Int32, output: String, error: String) {
        self.status = status
        self.output = output
        self.error = error
    }
}

/// A program could not be started: the command line and why.
public struct ProcessLaunchError: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var reason: String
    public var description: String { "cannot start `\(command)`: \(reason)" }
}

/// Runs external programs (`ip`, `nft`, `iptables-restore`, `dig`, the echo servers; looked up on
/// PATH): the one process runner of the sandbox, the tests and the tools. Both pipes are drained at
/// once, so a program that fills one while the other is read cannot stall.
public enum ProcessRunner {
    /// Runs `arguments`, feeding `input` on standard input (none: /dev/null), and waits. With
    /// `mergingErrors`, standard error goes to `output` too, in the order written.
    public static func run(_ arguments: [String], input: String? = nil, mergingErrors: Bool = false) throws(ProcessLaunchError) -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = mergingErrors ? out : err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        do {
            try process.run()
        } catch {
            throw ProcessLaunchError(command: arguments.joined(separator: " "), reason: "\(error)")
        }
        // Read standard error on another thread and write the input on a third, so that no pipe
        // can fill up while another is waited on.
        let errors = mergingErrors ? nil : PipeCollector(err.fileHandleForReading)
        if let input {
            let writer = inPipe.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(Data(input.utf8))
                try? writer.close()
            }
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                             error: String(decoding: errors?.wait() ?? Data(), as: UTF8.self))
    }

    /// Starts a program that keeps running, with standard output and error on one pipe; returns
    /// that pipe's reading end.
    public static func start(_ arguments: [String]) throws(ProcessLaunchError) -> FileHandle {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ProcessLaunchError(command: arguments.joined(separator: " "), reason: "\(error)")
        }
        try? out.fileHandleForWriting.close()
        return out.fileHandleForReading
    }

    /// Reads the first line from `handle` before `deadline` (nil on timeout); also returns what came
    /// before a close without a newline.
    public static func firstLine(_ handle: FileHandle, until deadline: ContinuousClock.Instant) -> String? {
        var collected = Data()
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return nil }
            var entry = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&entry, 1, milliseconds) > 0 else { continue }
            var byte: UInt8 = 0
            let count = read(handle.fileDescriptor, &byte, 1)
            if count <= 0 || byte == UInt8(ascii: "\n") { return String(decoding: collected, as: UTF8.self) }
            collected.append(byte)
        }
    }
}

/// Reads a pipe to its end on a background thread.
private final class PipeCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// The whole content, once the writer closed the pipe.
    func wait() -> Data {
        done.wait()
        return data
    }
}
