import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// How an external command ended.
public struct CommandOutcome: Sendable, Hashable {
    /// Exit status (a signal number + 128 when killed), -1 when it timed out.
    public var status: Int32
    /// Wall time from spawn to exit, in seconds.
    public var seconds: Double
    /// The first few KB of its standard error.
    public var errorText: String
    /// It was killed because it ran past its timeout.
    public var timedOut: Bool

    public var succeeded: Bool { status == 0 && !timedOut }
}

/// A command could not be started at all.
public enum CommandError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case cannotEnterNamespace(String, errno: Int32)
    case cannotSpawn(program: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): "cannot open \(path): \(String(cString: strerror(code)))"
        case .cannotEnterNamespace(let name, let code): "cannot enter network namespace \(name): \(String(cString: strerror(code)))"
        case .cannotSpawn(let program, let code): "cannot start \(program): \(String(cString: strerror(code)))"
        }
    }
}

/// Runs a program inside a network namespace with a file as its standard input, timed from spawn to
/// exit and killed (SIGKILL) when it runs past its timeout. The namespace is entered by the calling
/// thread only for the `posix_spawn` (the child inherits it), so the timing has no `ip netns exec` in it.
public enum NamespacedCommand {
    /// Runs `arguments` (looked up on PATH) in `namespace` (an `ip netns` name; nil: the current one).
    public static func run(
        _ arguments: [String], namespace: String?, input: String? = nil, timeout: Double
    ) throws(CommandError) -> CommandOutcome {
        let errorPath = "/tmp/sy-bench-\(getpid())-stderr"
        let inputPath = input ?? "/dev/null"
        let inputFD = open(inputPath, O_RDONLY | O_CLOEXEC)
        guard inputFD >= 0 else { throw .cannotOpen(path: inputPath, errno: errno) }
        defer { close(inputFD) }
        let errorFD = open(errorPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard errorFD >= 0 else { throw .cannotOpen(path: errorPath, errno: errno) }
        defer { close(errorFD); unlink(errorPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputFD, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorFD, 2)

        let cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }

        var pid: pid_t = 0
        let clock = ContinuousClock()
        var start = clock.now
        let spawnResult: Int32 = try NetworkNamespace(namespace).perform({ () throws(CommandError) -> Int32 in
            start = clock.now
            return posix_spawnp(&pid, arguments[0], &actions, nil, cArguments, environ)
        }, failing: { CommandError.cannotEnterNamespace(namespace ?? "", errno: $0.errno) })
        guard spawnResult == 0 else { throw .cannotSpawn(program: arguments[0], errno: spawnResult) }

        var status: Int32 = 0
        var timedOut = false
        var end = start
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            end = clock.now
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { break }
            if seconds(end - start) > timeout {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                timedOut = true
                break
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 100_000)
            nanosleep(&pause, nil)
        }
        let exitStatus: Int32 = timedOut ? -1 : ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
        return CommandOutcome(status: exitStatus, seconds: seconds(end - start), errorText: readPrefix(errorPath), timedOut: timedOut)
    }

    static func readPrefix(_ path: String, limit: Int = 4096) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = read(fd, &buffer, limit)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }
}

/// Seconds in a `Duration`.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
