import Foundation
import SwitchyardSystem

/// The outcome of one program run.
public typealias CommandResult = ProcessResult

/// Runs `ip`, `nft`, `sh` and the echo servers through ``ProcessRunner``, with the sandbox's errors.
enum Command {
    /// Runs `arguments`, optionally feeding `input`, and waits.
    static func run(_ arguments: [String], input: String? = nil) throws(SandboxError) -> CommandResult {
        do {
            return try ProcessRunner.run(arguments, input: input)
        } catch {
            throw .launchFailed(command: error.command, reason: error.reason)
        }
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
        do {
            return try ProcessRunner.start(arguments)
        } catch {
            throw .launchFailed(command: error.command, reason: error.reason)
        }
    }
}
