import Synchronization

/// How many connections a server holds, and whether one more may open: the cap of the DNS-over-TCP
/// and HTTP servers, so that a client opening connections cannot exhaust the daemon's file
/// descriptors. ``admit()`` when a connection is accepted, ``release()`` when it closes.
public final class ConnectionLimit: Sendable {
    private let state = Mutex((open: 0, refused: 0))
    public let limit: Int

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Counts a new connection in, unless `limit` are open already (then it counts a refusal).
    public func admit() -> Bool {
        state.withLock { state in
            guard state.open < limit else {
                state.refused += 1
                return false
            }
            state.open += 1
            return true
        }
    }

    public func release() { state.withLock { $0.open -= 1 } }

    /// Connections open now.
    public var open: Int { state.withLock { $0.open } }
    /// Connections refused so far.
    public var refused: Int { state.withLock { $0.refused } }
}
