#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SwitchyardModel

/// A TCP connection to an echo server that stays open, for "a long-lived connection survives a
/// change" tests: open it, change the rules, then ask `isAlive()`, which sends a line and expects the
/// same line echoed back over the same connection.
public final class HeldConnection: Sendable {
    /// The greeting the server sent when the connection opened: who answered, and the source it saw.
    public let greeting: EchoReply
    private let state: Mutex<State>

    private struct State {
        var fd: Int32
        var pings = 0
    }

    /// Connects and waits for the greeting; a failure is returned as the probe outcome.
    static func open(
        to address: IPAddress, port: Int, source: IPAddress?, timeout: Duration, namespace: String?
    ) -> Result<HeldConnection, HeldConnectionFailure> {
        let deadline = ContinuousClock.now + timeout
        let connect: Probe.Connect
        do {
            connect = try Probe.connectTCP(to: address, port: port, source: source, deadline: deadline, namespace: namespace)
        } catch {
            return .failure(HeldConnectionFailure(outcome: .failed(error.description)))
        }
        guard case .connected(let fd) = connect else {
            return .failure(HeldConnectionFailure(outcome: connect.failure ?? .failed("connect")))
        }
        guard Probe.sendAll(fd, Probe.hello) else {
            Glibc.close(fd)
            return .failure(HeldConnectionFailure(outcome: .failed("send: \(String(cString: strerror(errno)))")))
        }
        let outcome = Probe.readReply(fd, deadline: deadline)
        guard case .reply(let greeting) = outcome else {
            Glibc.close(fd)
            return .failure(HeldConnectionFailure(outcome: outcome))
        }
        return .success(HeldConnection(fd: fd, greeting: greeting))
    }

    private init(fd: Int32, greeting: EchoReply) {
        self.greeting = greeting
        state = Mutex(State(fd: fd))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { Glibc.close($0.fd) } }
    }

    /// Sends `ping N` and waits for the echo. False when the connection was reset, closed, or the
    /// echo did not come back within `timeout`.
    public func isAlive(timeout: Duration = .seconds(1)) -> Bool {
        state.withLock { state in
            guard state.fd >= 0 else { return false }
            state.pings += 1
            let line = "ping \(state.pings)"
            guard Probe.sendAll(state.fd, line + "\n") else { return false }
            return Probe.readLine(state.fd, deadline: .now + timeout) == .line(line)
        }
    }

    /// Closes the connection (also done when the object goes away).
    public func close() {
        state.withLock { state in
            if state.fd >= 0 { Glibc.close(state.fd) }
            state.fd = -1
        }
    }
}

/// Why a held connection could not be opened: the probe outcome of the attempt.
public struct HeldConnectionFailure: Error, Hashable, CustomStringConvertible {
    public var outcome: ProbeResult
    public var description: String { "could not open a held connection: \(outcome)" }
}
