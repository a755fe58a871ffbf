/// Which sync to run.
public enum SyncKind: String, Sendable, Hashable {
    /// Re-plan everything and reconcile against what the backend reads back (start-up, every retry
    /// after a failure, and once per full sync period — an hour by default, as kube-proxy's).
    case full
    /// Re-plan the changed services and commit the differ's transaction.
    case incremental
    /// The periodic drift check (every sync period): ask the backend whether anyone else changed the
    /// tables since our last write — one netlink round trip — and only then read back and repair.
    case resync
}

/// When to sync: the pure rate-limiting and retry policy of the sync loop, separate from the sync
/// itself. Generic over the clock's instant so tests drive it with a manual clock.
///
/// - Nothing runs until the sources have delivered their first state (``sourcesSynced``).
/// - The first sync is full; after it, changes are coalesced so that syncs start at most once per
///   ``minSyncPeriod``; a drift check (``SyncKind/resync``) runs every ``syncPeriod`` and a full
///   sync every ``fullSyncPeriod``.
/// - A failed sync is retried after a backoff (``minSyncPeriod`` doubling per failure, capped at
///   ``syncPeriod``), always as a full sync.
public struct SyncSchedule<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public var minSyncPeriod: Duration
    public var syncPeriod: Duration
    public var fullSyncPeriod: Duration

    public private(set) var sourcesSynced = false
    /// When the oldest change not yet programmed arrived.
    public private(set) var pendingSince: Instant?
    public private(set) var lastAttempt: Instant?
    public private(set) var lastFullSync: Instant?
    /// When the tables were last checked for drift (by a full sync or a resync).
    public private(set) var lastCheck: Instant?
    /// Consecutive failed syncs.
    public private(set) var failures = 0
    public private(set) var retryAt: Instant?
    /// When the running sync started; nil when none runs (no other sync is due meanwhile).
    public private(set) var runningSince: Instant?
    /// The first change that arrived while a sync ran: pending again once the sync ends.
    private var changedWhileRunning: Instant?
    private var needsFull = true

    public init(minSyncPeriod: Duration, syncPeriod: Duration, fullSyncPeriod: Duration = .seconds(3600)) {
        self.minSyncPeriod = minSyncPeriod
        self.syncPeriod = syncPeriod
        self.fullSyncPeriod = max(fullSyncPeriod, syncPeriod)
    }

    /// The sources delivered changes at `now` (the first call opens the gate).
    public mutating func changed(at now: Instant) {
        sourcesSynced = true
        if pendingSince == nil { pendingSince = now }
        if runningSince != nil, changedWhileRunning == nil { changedWhileRunning = now }
    }

    /// A sync started at `now`; until it succeeds or fails, nothing else is due.
    public mutating func started(at now: Instant) {
        runningSince = now
    }

    /// Asks for a full sync as soon as possible (on demand, e.g. SIGHUP).
    public mutating func requestFull() {
        needsFull = true
    }

    /// The delay before retry number `failures` (1-based).
    public func backoff(afterFailures failures: Int) -> Duration {
        let base = minSyncPeriod > .zero ? minSyncPeriod : .seconds(1)
        var delay = base
        for _ in 1..<max(failures, 1) {
            delay = delay * 2
            if delay >= syncPeriod { return syncPeriod }
        }
        return min(delay, syncPeriod)
    }

    /// The sync to run at `now`, or nil when nothing is due.
    public func due(at now: Instant) -> SyncKind? {
        guard sourcesSynced, runningSince == nil else { return nil }
        if let retryAt { return now >= retryAt ? .full : nil }
        if needsFull { return .full }
        if let lastFullSync, now >= lastFullSync.advanced(by: fullSyncPeriod) { return .full }
        if pendingSince != nil, let lastAttempt, now >= lastAttempt.advanced(by: minSyncPeriod) { return .incremental }
        if let lastCheck, now >= lastCheck.advanced(by: syncPeriod) { return .resync }
        return nil
    }

    /// The next instant at which ``due(at:)`` may change without new input; nil when only input can
    /// make a sync due.
    public var nextDeadline: Instant? {
        guard sourcesSynced, runningSince == nil else { return nil }
        if let retryAt { return retryAt }
        var candidates: [Instant] = []
        if let lastFullSync { candidates.append(lastFullSync.advanced(by: fullSyncPeriod)) }
        if let lastCheck { candidates.append(lastCheck.advanced(by: syncPeriod)) }
        if pendingSince != nil, let lastAttempt { candidates.append(lastAttempt.advanced(by: minSyncPeriod)) }
        return candidates.min()
    }

    /// A sync of `kind` that started at `start` succeeded. Changes that arrived while it ran, or
    /// arrive after this call, are pending again (a resync leaves pending changes pending).
    public mutating func succeeded(_ kind: SyncKind, startedAt start: Instant) {
        switch kind {
        case .full:
            lastFullSync = start
            lastCheck = start
            lastAttempt = start
            pendingSince = changedWhileRunning
        case .incremental:
            lastAttempt = start
            pendingSince = changedWhileRunning
        case .resync:
            lastCheck = start
        }
        runningSince = nil
        changedWhileRunning = nil
        failures = 0
        retryAt = nil
        needsFull = false
    }

    /// A sync that started at `start` failed at `now`: retry after the backoff, as a full sync.
    public mutating func failed(startedAt start: Instant, at now: Instant) {
        runningSince = nil
        changedWhileRunning = nil
        lastAttempt = start
        failures += 1
        retryAt = now.advanced(by: backoff(afterFailures: failures))
        needsFull = true
    }
}
