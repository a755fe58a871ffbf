import Synchronization

/// The proxy's health as kube-proxy defines it: healthy unless a change (or a failed sync) has been
/// waiting to be programmed for longer than ``timeout`` (2 × sync period). Written by the sync loop,
/// read by the HTTP handlers; the only state shared across tasks besides metrics.
public final class HealthState: Sendable {
    /// How long a queued change may stay unprogrammed before /healthz says 503.
    public let timeout: Double
    /// Wall-clock seconds since 1970.
    public let now: @Sendable () -> Double
    private let state = Mutex(State())

    struct State {
        var lastUpdated: Double?
        var oldestPending: Double?
        var consecutiveFailures = 0
        var lastError: String?
    }

    /// What /healthz and /livez report.
    public struct Report: Sendable, Hashable {
        public var healthy: Bool
        public var lastUpdated: Double
        public var currentTime: Double
        public var consecutiveFailures: Int
        public var lastError: String?
    }

    /// Nothing is programmed yet at creation: the cluster's state is pending from the start, so a
    /// first sync that does not come within `timeout` (a source that never syncs, a kernel that
    /// refuses) turns /healthz to 503 instead of leaving it at 200 all along.
    public init(timeout: Double, now: @escaping @Sendable () -> Double) {
        self.timeout = timeout
        self.now = now
        let start = now()
        state.withLock { $0.oldestPending = start }
    }

    /// Changes arrived that are not programmed yet (kube-proxy's `QueuedUpdate`).
    public func queued() {
        let time = now()
        state.withLock { if $0.oldestPending == nil { $0.oldestPending = time } }
    }

    /// A sync succeeded: everything queued so far is programmed.
    public func updated() {
        let time = now()
        state.withLock {
            $0.lastUpdated = time
            $0.oldestPending = nil
            $0.consecutiveFailures = 0
            $0.lastError = nil
        }
    }

    /// A sync failed; the state it wanted stays queued.
    public func failed(_ error: String) {
        let time = now()
        state.withLock {
            if $0.oldestPending == nil { $0.oldestPending = time }
            $0.consecutiveFailures += 1
            $0.lastError = error
        }
    }

    /// The health at this moment. As kube-proxy does, a healthy report gives the current time as
    /// `lastUpdated` (older clients read it as "the sync loop is alive").
    public func report() -> Report {
        let current = now()
        return state.withLock { state in
            let healthy = state.oldestPending.map { current - $0 < timeout } ?? true
            return Report(
                healthy: healthy, lastUpdated: healthy ? current : (state.lastUpdated ?? 0), currentTime: current,
                consecutiveFailures: state.consecutiveFailures, lastError: state.lastError)
        }
    }

    /// Whether the proxy is healthy now.
    public var isHealthy: Bool { report().healthy }
}
