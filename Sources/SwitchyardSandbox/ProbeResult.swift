/// The outcome of one request to an address and port: normal outcomes are values, not errors.
public enum ProbeResult: Sendable, Hashable, CustomStringConvertible {
    /// An echo server answered.
    case reply(EchoReply)
    /// Actively refused: a TCP RST or an ICMP port unreachable (what `reject` sends).
    case refused
    /// An ICMP host/network unreachable or administratively prohibited came back.
    case unreachable
    /// Nothing came back within the timeout (what `drop` looks like).
    case timedOut
    /// Something else went wrong: connected but no greeting, a garbled answer, a local socket error.
    case failed(String)

    /// The reply, when there is one.
    public var reply: EchoReply? {
        if case .reply(let reply) = self { return reply }
        return nil
    }

    /// The answering server's name, when there is one.
    public var name: String? { reply?.name }

    /// One line as `switchyard probe` prints it: the reply, or `refused`/`unreachable`/`timeout`/`error: …`.
    public var description: String {
        switch self {
        case .reply(let reply): reply.description
        case .refused: "refused"
        case .unreachable: "unreachable"
        case .timedOut: "timeout"
        case .failed(let reason): "error: \(reason)"
        }
    }

    /// The exit status `switchyard probe` uses for this outcome.
    public var exitCode: Int32 {
        switch self {
        case .reply: 0
        case .refused: 10
        case .timedOut: 11
        case .unreachable: 12
        case .failed: 13
        }
    }
}
