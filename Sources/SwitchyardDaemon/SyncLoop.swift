import Logging
import ServiceLifecycle
import SwitchyardDNS
import SwitchyardLB
import SwitchyardModel
import SwitchyardRules
import SwitchyardSystem
import Synchronization

/// Where a sync loop's results go besides the backend. Every field is optional so tests wire only
/// what they look at.
public struct SyncOutputs: Sendable {
    public var logger: Logger
    public var metrics: DaemonMetrics?
    public var health: HealthState?
    /// Receives the health-check node ports after each successful sync.
    public var healthChecks: AsyncStream<[ServiceHealthCheck]>.Continuation?
    /// Receives the cluster snapshot and its DNS-relevant changes after each applied batch (the DNS
    /// zone's input).
    public var zoneFeed: ZoneFeed?
    /// Counters for tests and debugging.
    public var progress: SyncProgress?

    public init(
        logger: Logger, metrics: DaemonMetrics? = nil, health: HealthState? = nil,
        healthChecks: AsyncStream<[ServiceHealthCheck]>.Continuation? = nil,
        zoneFeed: ZoneFeed? = nil, progress: SyncProgress? = nil
    ) {
        self.logger = logger
        self.metrics = metrics
        self.health = health
        self.healthChecks = healthChecks
        self.zoneFeed = zoneFeed
        self.progress = progress
    }
}

/// How far a sync loop got: batches applied, syncs that succeeded and failed.
public final class SyncProgress: Sendable {
    private let counts = Mutex((batches: 0, syncs: 0, failures: 0))

    public init() {}

    public var batches: Int { counts.withLock { $0.batches } }
    public var syncs: Int { counts.withLock { $0.syncs } }
    public var failures: Int { counts.withLock { $0.failures } }

    func batchApplied() { counts.withLock { $0.batches += 1 } }
    func synced() { counts.withLock { $0.syncs += 1 } }
    func failed() { counts.withLock { $0.failures += 1 } }
}

/// The sync loop: the one owner of the proxy state (``ProxyState``: store, compiled plan, gauges).
/// It applies the sources' event batches as they come (handing DNS each batch's changes), and runs
/// the syncs that ``SyncSchedule`` says are due: the first once the sources delivered their initial
/// state, then coalesced changes at most once per min sync period, a drift check every sync period,
/// a full sync every full sync period, retries with backoff.
///
/// Generic over the clock (tests use a manual one) and the backend (tests use ``FakeBackend``).
/// Ends on graceful shutdown, leaving the rules programmed.
public struct SyncLoop<C: Clock, Backend: SyncBackend>: ServiceLifecycle.Service where C.Duration == Duration {
    public var input: SyncLoopInput
    public var clock: C
    public var syncer: Syncer<Backend>
    public var minSyncPeriod: Duration
    public var syncPeriod: Duration
    /// How often a full sync runs (re-plan, read back); ``syncPeriod`` only checks for drift.
    public var fullSyncPeriod: Duration
    public var outputs: SyncOutputs

    public init(
        input: SyncLoopInput, clock: C, syncer: Syncer<Backend>,
        minSyncPeriod: Duration, syncPeriod: Duration, fullSyncPeriod: Duration = .seconds(3600), outputs: SyncOutputs
    ) {
        self.input = input
        self.clock = clock
        self.syncer = syncer
        self.minSyncPeriod = minSyncPeriod
        self.syncPeriod = syncPeriod
        self.fullSyncPeriod = fullSyncPeriod
        self.outputs = outputs
    }

    public func run() async throws {
        let input = input
        let clock = clock
        let syncer = syncer
        // Discarding: a finished sync's or timer's child task is freed at once. A plain task group
        // keeps every finished child until `next()` reaps it, which this loop never calls: heaptrack
        // of a 10,000-Service churn showed the loop's finished tasks (their async frames) growing the
        // live heap by ~1 MiB a minute, unbounded.
        await withDiscardingTaskGroup { group in
            var state = ProxyState()
            var schedule = SyncSchedule<C.Instant>(minSyncPeriod: minSyncPeriod, syncPeriod: syncPeriod, fullSyncPeriod: fullSyncPeriod)
            // The deadline of each timer armed and not yet fired, by the timer's number.
            var armed: [Int: C.Instant] = [:]
            var timers = 0
            var freed = FreedMemoryRelease()
            // A shutdown is one more wakeup rather than `cancelOnGracefulShutdown()`, which put
            // every wakeup through a merge (see EventSourceService.run).
            await withGracefulShutdownHandler {
                loop: while let wakeup = await input.next() {
                    switch wakeup {
                    case .shutdown:
                        break loop
                    case .events(let batch):
                        // Also while a sync runs: DNS sees the batch at once, the next sync programs it.
                        apply(batch, to: &state, schedule: &schedule)
                    case .timer(let number):
                        armed[number] = nil
                    case .sourcesEnded:
                        outputs.logger.debug("sources ended; keeping the last state programmed")
                    case .synced(let outcome):
                        state.programmed = outcome.programmed
                        finish(outcome, schedule: &schedule, freed: &freed)
                    }
                    // Nothing is due while a sync runs (SyncSchedule.runningSince).
                    if let kind = schedule.due(at: clock.now) {
                        // The programmed state moves into the sync (one reference: mutating its compiler
                        // never copies it); the store stays here and keeps taking batches.
                        let changes = Syncer<Backend>.takesChanges(kind, state.programmed) ? state.store.takeChanges() : ClusterChanges()
                        let snapshot = state.store.snapshot
                        let handoff = Handoff(state.programmed)
                        state.programmed = ProgrammedState()
                        schedule.started(at: clock.now)
                        // Off the loop's executor (the daemon pins it to the API client's event
                        // loop): a full sync takes seconds at scale and must not stall the watches.
                        group.addTask(executorPreference: globalConcurrentExecutor) {
                            var programmed = handoff.take()
                            let result: Result<SyncReport, any Error>
                            do {
                                result = .success(try await syncer.sync(kind, snapshot: snapshot, changes: changes, state: &programmed))
                            } catch {
                                result = .failure(error)
                            }
                            input.send(.synced(SyncOutcome(kind: kind, result: result, programmed: programmed)))
                        }
                        continue
                    }
                    // One timer per distinct deadline; a timer that fires early or late is harmless,
                    // since due(at:) decides.
                    if let deadline = schedule.nextDeadline, armed.values.allSatisfy({ $0 > deadline }) {
                        let number = timers
                        timers += 1
                        armed[number] = deadline
                        group.addTask {
                            try? await clock.sleep(until: deadline, tolerance: nil)
                            input.send(.timer(number))
                        }
                    }
                }
            } onGracefulShutdown: {
                input.send(.shutdown)
            }
            input.finish()
            group.cancelAll()
        }
        outputs.healthChecks?.finish()
        outputs.zoneFeed?.finish()
    }

    /// Applies one batch from the sources; the DNS zone sees it at once, the rules at the next sync.
    private func apply(_ batch: [ClusterEvent], to state: inout ProxyState, schedule: inout SyncSchedule<C.Instant>) {
        let before = state.store.snapshot
        let generation = before.generation
        state.store.apply(batch)
        outputs.progress?.batchApplied()
        let first = !schedule.sourcesSynced
        guard first || state.store.snapshot.generation != generation else { return }
        schedule.changed(at: clock.now)
        outputs.health?.queued()
        outputs.metrics?.queued(at: syncer.wallClock())
        outputs.zoneFeed?.offer(state.store.snapshot, changes: first ? nil : ZoneChanges(events: batch, before: before))
        if first {
            outputs.logger.info("sources synced; programming the initial state", metadata: ["objects": "\(batch.count)"])
        }
    }

    /// Records a finished sync: schedule, health, metrics, logs.
    private func finish(_ outcome: SyncOutcome, schedule: inout SyncSchedule<C.Instant>, freed: inout FreedMemoryRelease) {
        // The schedule keeps when the running sync started (one runs at a time).
        guard let start = schedule.runningSince else { preconditionFailure("a sync finished that the schedule did not start") }
        let kind = outcome.kind
        switch outcome.result {
        case .success(let report):
            schedule.succeeded(kind, startedAt: start)
            outputs.health?.updated()
            outputs.metrics?.record(report, at: syncer.wallClock())
            if let checks = report.healthChecks { outputs.healthChecks?.yield(checks) }
            outputs.progress?.synced()
            SyncLog.succeeded(report, logger: outputs.logger)
            if kind == .full {
                freed.release()
            } else if let (before, after) = freed.releaseIfGrown() {
                // The heap's statistics only when the line is logged (perf, churn at 10,000 × 100:
                // glibc's mallinfo2, walking every free chunk, was 0.6% of the samples at info level).
                let took = freed.lastReleaseTook
                outputs.logger.debug("returned freed memory to the kernel", metadata: {
                    var metadata: Logger.Metadata = [
                        "rss_before_mib": "\(before >> 20)", "rss_after_mib": "\(after >> 20)",
                        "took": "\(SyncLog.milliseconds(took))",
                    ]
                    if let heap = Allocator.heapStatistics() {
                        metadata["heap_in_use_mib"] = "\(heap.inUse >> 20)"
                        metadata["heap_free_mib"] = "\(heap.free >> 20)"
                        metadata["heap_mapped_mib"] = "\(heap.mapped >> 20)"
                    }
                    return metadata
                }())
            }
        case .failure(let error):
            schedule.failed(startedAt: start, at: clock.now)
            outputs.health?.failed("\(error)")
            outputs.metrics?.syncFailed()
            outputs.progress?.failed()
            SyncLog.failed(error, failures: schedule.failures, retryIn: schedule.backoff(afterFailures: schedule.failures),
                           healthTimeout: syncPeriod * 2, logger: outputs.logger)
        }
    }
}

/// A finished sync with the programmed state it hands back to its ``SyncLoop``.
struct SyncOutcome: Sendable {
    var kind: SyncKind
    var result: Result<SyncReport, any Error>
    var programmed: ProgrammedState
}
