import Foundation

/// The outcome of one program run.
public struct CommandResult: Sendable, Hashable {
    public var status: Int32
    public var output: String
    public var error: String
}

/// Runs `ip`, `nft`, `sh` and the echo servers (programs are looked up on PATH).
enum Command {
    /// Runs `arguments`, optionally feeding `input`, and waits.
    static func run(_ arguments: [String], input: String? = nil) throws(SandboxError) -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        do {
            try process.run()
        } catch {
            throw .launchFailed(command: arguments.joined(separator: " "), reason: "\(error)")
        }
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        // Drain stderr on another thread so neither pipe can fill up and stall the program.
        let errorData = ErrorCollector(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            output: String(decoding: outData, as: UTF8.self),
            error: String(decoding: errorData.wait(), as: UTF8.self)
        )
    }

    /// Runs `arguments` and throws unless it exits 0; returns its output.
    @discardableResult
    static func runChecked(_ arguments: [String], namespace: String? = nil, input: String? = nil) throws(SandboxError) -> String {
        let result = try run(arguments, input: input)
        guard result.status == 0 else {
            throw .commandFailed(command: arguments.joined(separator: " "), namespace: namespace, status: result.status, error: result.error)
        }
        return result.output
    }

    /// Starts a program that keeps running, with stdout and stderr on one pipe; returns that pipe.
    static func start(_ arguments: [String]) throws(SandboxError) -> FileHandle {
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
            throw .launchFailed(command: arguments.joined(separator: " "), reason: "\(error)")
        }
        try? out.fileHandleForWriting.close()
        return out.fileHandleForReading
    }

    /// Reads the first line from `handle` before `deadline` (nil on timeout); also returns what came
    /// before a close without a newline.
    static func firstLine(_ handle: FileHandle, until deadline: ContinuousClock.Instant) -> String? {
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
private final class ErrorCollector: @unchecked Sendable {
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
