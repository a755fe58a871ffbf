import Logging
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
import SwitchyardRules
import Testing
@testable import SwitchyardDaemon

/// A sync loop on a manual clock and the fake backend, run in the background of a test.
struct LoopHarness {
    let clock = ManualClock()
    let backend = FakeBackend()
    let progress = SyncProgress()
    let input = SyncLoopInput()
    var minSyncPeriod: Duration = .seconds(1)
    var syncPeriod: Duration = .seconds(30)
    var outputs: SyncOutputs

    init(minSyncPeriod: Duration = .seconds(1), syncPeriod: Duration = .seconds(30)) {
        self.minSyncPeriod = minSyncPeriod
        self.syncPeriod = syncPeriod
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        outputs = SyncOutputs(logger: logger, progress: progress)
    }

    var loop: SyncLoop<ManualClock, FakeBackend> {
        SyncLoop(
            input: input, clock: clock,
            syncer: Syncer(backend: backend, config: ProxyConfig(nodeName: "node-a"), wallClock: { 1_800_000_000 }),
            minSyncPeriod: minSyncPeriod, syncPeriod: syncPeriod, outputs: outputs)
    }

    /// Runs `body` while the loop runs; stops the loop afterwards.
    func run(_ body: @Sendable (LoopHarness) async throws -> Void) async throws {
        let loop = loop
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await loop.run() }
            do {
                try await body(self)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    /// Waits until the loop has applied `batches` batches and is idle on the clock.
    func settle(batches: Int) async {
        _ = await eventually { progress.batches >= batches && clock.sleepers > 0 }
        // Let the loop finish reacting to the last wake-up.
        try? await Task.sleep(for: .milliseconds(20))
    }

    func writes() async -> [String] { await backend.writes.map(\.kind) }
}

@Suite("Sync loop (manual clock, fake backend)")
struct SyncLoopTests {
    @Test("nothing is programmed before the sources delivered their first state")
    func initialSyncGating() async throws {
        try await LoopHarness().run { h in
            try await Task.sleep(for: .milliseconds(30))
            h.clock.advance(by: .seconds(120))
            try await Task.sleep(for: .milliseconds(30))
            #expect(h.progress.syncs == 0)
            #expect(await h.writes().isEmpty)

            h.input.yield(try Fixtures.initialBatch())
            #expect(await eventually { h.progress.syncs == 1 })
            #expect(await h.writes() == ["reconcile"], "the first sync reconciles against what the backend holds")
            let listing = await h.backend.ruleset.listing()
            #expect(listing.contains("10.244.0.1"))
        }
    }

    @Test("a burst of 10 changes is programmed as one sync after the min sync period")
    func coalescing() async throws {
        try await LoopHarness().run { h in
            h.input.yield(try Fixtures.initialBatch())
            #expect(await eventually { h.progress.syncs == 1 })
            for host in 3...12 { h.input.yield(try Fixtures.sliceUpdate(endpoints: [1, host])) }
            await h.settle(batches: 11)
            #expect(h.progress.syncs == 1, "no sync before min-sync-period has passed since the last one")

            h.clock.advance(by: .milliseconds(999))
            try await Task.sleep(for: .milliseconds(30))
            #expect(h.progress.syncs == 1)
            h.clock.advance(by: .milliseconds(1))
            #expect(await eventually { h.progress.syncs == 2 })
            try await Task.sleep(for: .milliseconds(30))
            #expect(h.progress.syncs == 2)
            #expect(await h.writes() == ["reconcile", "commit"])
            let listing = await h.backend.ruleset.listing()
            #expect(listing.contains("10.244.0.12"))
            #expect(!listing.contains("10.244.0.11 "))
            #expect(!listing.contains("10.244.0.2 "))
            // The removed UDP endpoint's flows to the ClusterIP are flushed.
            let requests = await h.backend.conntrackRequests
            #expect(requests.contains { $0.destination == [10, 96, 0, 10] && $0.port == 53 && $0.replySource == [10, 244, 0, 2] })
        }
    }

    @Test("batches go on being applied and reach DNS while a sync is programming; the next sync programs them")
    func batchesDuringASync() async throws {
        let feed = ZoneFeed()
        var harness = LoopHarness()
        harness.outputs.zoneFeed = feed
        try await harness.run { h in
            h.input.yield(try Fixtures.initialBatch())
            #expect(await eventually { h.progress.syncs == 1 })
            _ = feed.take()
            await h.backend.holdWrites()
            h.input.yield(try Fixtures.sliceUpdate(endpoints: [1, 3]))
            await h.settle(batches: 2)
            h.clock.advance(by: .seconds(1))
            #expect(await eventually { await h.backend.heldWrites == 1 }, "the incremental sync is programming")

            h.input.yield(try Fixtures.sliceUpdate(endpoints: [1, 3, 9]))
            #expect(await eventually { h.progress.batches == 3 }, "applied while the sync waits on the backend")
            let offered = feed.take()?.snapshot.allEndpointSlices.flatMap(\.endpoints).flatMap(\.addresses) ?? []
            #expect(offered.contains(IPAddress("10.244.0.9")!), "DNS was offered the batch before the sync ended")
            #expect(h.progress.syncs == 1)

            await h.backend.releaseWrites()
            #expect(await eventually { h.progress.syncs == 2 })
            var listing = await h.backend.ruleset.listing()
            #expect(listing.contains("10.244.0.3"))
            #expect(!listing.contains("10.244.0.9"), "the sync programs the snapshot it started from")

            // The change that came during the sync is pending: the next sync after the min period.
            await h.settle(batches: 3)
            h.clock.advance(by: .seconds(1))
            #expect(await eventually { h.progress.syncs == 3 })
            listing = await h.backend.ruleset.listing()
            #expect(listing.contains("10.244.0.9"))
        }
    }

    @Test("a failing backend shows in health and metrics, and recovers")
    func failuresAreVisible() async throws {
        let wall = TestWallClock()
        let health = HealthState(timeout: 60, now: wall.now)
        let metrics = DaemonMetrics()
        var harness = LoopHarness()
        harness.outputs.health = health
        harness.outputs.metrics = metrics
        try await harness.run { h in
            await h.backend.failNext(1)
            h.input.yield(try Fixtures.initialBatch())
            #expect(await eventually { h.progress.failures == 1 })
            #expect(health.report().consecutiveFailures == 1)
            #expect(health.report().lastError == "injected backend failure")
            wall.advance(61)
            #expect(!health.isHealthy, "unhealthy once the failure outlasts the timeout")
            #expect(metrics.render().contains("kubeproxy_sync_proxy_rules_nftables_sync_failures_total 1"))
            await h.settle(batches: 1)
            h.clock.advance(by: .seconds(1))
            #expect(await eventually { h.progress.syncs == 1 })
            #expect(health.isHealthy)
        }
    }

    @Test("after incremental syncs the backend holds exactly what a full compile of the same state gives")
    func incrementalEqualsFull() async throws {
        try await LoopHarness().run { h in
            var store = ClusterStore()
            let batches: [[ClusterEvent]] = [
                try Fixtures.initialBatch(endpoints: [1, 2, 3]),
                try Fixtures.sliceUpdate(endpoints: [2, 3, 4]),
                try Fixtures.objects(endpoints: [5], externalLocal: true).map(ClusterEvent.updated),
                try Fixtures.sliceUpdate(endpoints: []),
                try Fixtures.sliceUpdate(endpoints: [6, 7]),
            ]
            for (index, batch) in batches.enumerated() {
                store.apply(batch)
                h.input.yield(batch)
                await h.settle(batches: index + 1)
                h.clock.advance(by: .seconds(1))
                #expect(await eventually { h.progress.syncs == index + 1 })
            }
            #expect(await h.writes() == ["reconcile", "commit", "commit", "commit", "commit"])
            let config = ProxyConfig(nodeName: "node-a")
            let full = Compiler.compile(Planner.plan(snapshot: store.snapshot, config: config), config: config)
            #expect(await h.backend.ruleset.listing() == full.listing())
        }
    }

    @Test("the periodic resync repairs drift in the backend")
    func resyncRepairsDrift() async throws {
        try await LoopHarness().run { h in
            h.input.yield(try Fixtures.initialBatch())
            #expect(await eventually { h.progress.syncs == 1 })
            let programmed = await h.backend.ruleset

            // Someone deletes our IPv4 table.
            var drift = Transaction(base: programmed)
            try drift.delete(.table(Table(TableRef(.ip, "switchyard"))))
            try await h.backend.mutate(drift)
            #expect(await h.backend.ruleset != programmed)

            await h.settle(batches: 1)
            h.clock.advance(by: .seconds(30))
            #expect(await eventually { h.progress.syncs == 2 })
            let writes = await h.backend.writes
            #expect(writes.map(\.kind) == ["reconcile", "reconcile"])
            #expect((writes.last?.operations ?? 0) > 0)
            #expect(await h.backend.ruleset.listing() == programmed.listing())
        }
    }

    @Test("an idle resync asks whether anyone changed the tables and reads nothing back")
    func idleResyncReadsNothing() async throws {
        try await LoopHarness().run { h in
            h.input.yield(try Fixtures.initialBatch())
            #expect(await eventually { h.progress.syncs == 1 })
            await h.settle(batches: 1)
            h.clock.advance(by: .seconds(30))
            #expect(await eventually { h.progress.syncs == 2 })
            await h.settle(batches: 1)
            h.clock.advance(by: .seconds(30))
            #expect(await eventually { h.progress.syncs == 3 })
            #expect(await h.writes() == ["reconcile"], "only the first sync wrote; the two resyncs found the tables untouched")
        }
    }

    @Test("a failed sync is retried with exponential backoff, then as a full sync")
    func retryWithBackoff() async throws {
        try await LoopHarness().run { h in
            await h.backend.failNext(2)
            h.input.yield(try Fixtures.initialBatch())
            #expect(await eventually { h.progress.failures == 1 })
            await h.settle(batches: 1)

            h.clock.advance(by: .milliseconds(900))
            try await Task.sleep(for: .milliseconds(30))
            #expect(h.progress.failures == 1, "first retry waits 1s (the min sync period)")
            h.clock.advance(by: .milliseconds(100))
            #expect(await eventually { h.progress.failures == 2 })
            await h.settle(batches: 1)

            h.clock.advance(by: .milliseconds(1900))
            try await Task.sleep(for: .milliseconds(30))
            #expect(h.progress.syncs == 0, "second retry waits 2s")
            h.clock.advance(by: .milliseconds(100))
            #expect(await eventually { h.progress.syncs == 1 })
            #expect(await h.writes() == ["reconcile"], "the retry is a full sync")
            #expect(await h.backend.ruleset.listing().contains("10.244.0.2"))
        }
    }
}

@Suite("Sync schedule")
struct SyncScheduleTests {
    typealias Schedule = SyncSchedule<ManualClock.Instant>
    static func at(_ seconds: Double) -> ManualClock.Instant { ManualClock.Instant(offset: .milliseconds(Int64(seconds * 1000))) }

    @Test("backoff doubles from the min sync period and stops at the sync period",
          arguments: zip([1, 2, 3, 4, 5, 6, 7], [1.0, 2, 4, 8, 16, 30, 30]))
    func backoff(failures: Int, seconds: Double) {
        let schedule = Schedule(minSyncPeriod: .seconds(1), syncPeriod: .seconds(30))
        #expect(schedule.backoff(afterFailures: failures) == .milliseconds(Int64(seconds * 1000)))
    }

    @Test("the periodic sync is a drift check; a full sync comes once per full sync period")
    func periodicKinds() {
        var schedule = Schedule(minSyncPeriod: .seconds(1), syncPeriod: .seconds(30), fullSyncPeriod: .seconds(3600))
        schedule.changed(at: Self.at(0))
        schedule.succeeded(.full, startedAt: Self.at(0))
        #expect(schedule.due(at: Self.at(29)) == nil)
        #expect(schedule.due(at: Self.at(30)) == .resync)
        schedule.succeeded(.resync, startedAt: Self.at(30))
        #expect(schedule.nextDeadline == Self.at(60))
        schedule.changed(at: Self.at(40))
        #expect(schedule.due(at: Self.at(40)) == .incremental, "a resync does not count as the last attempt")
        schedule.succeeded(.incremental, startedAt: Self.at(40))
        #expect(schedule.due(at: Self.at(60)) == .resync)
        #expect(schedule.due(at: Self.at(3600)) == .full)
        schedule.requestFull()
        #expect(schedule.due(at: Self.at(61)) == .full)
    }

    @Test("first sync is full and immediate; later changes wait for the min sync period")
    func dueTimes() {
        var schedule = Schedule(minSyncPeriod: .seconds(1), syncPeriod: .seconds(30))
        #expect(schedule.due(at: Self.at(0)) == nil)
        schedule.changed(at: Self.at(0))
        #expect(schedule.due(at: Self.at(0)) == .full)
        schedule.succeeded(.full, startedAt: Self.at(0))
        #expect(schedule.nextDeadline == Self.at(30))
        schedule.changed(at: Self.at(0.2))
        #expect(schedule.due(at: Self.at(0.5)) == nil)
        #expect(schedule.nextDeadline == Self.at(1))
        #expect(schedule.due(at: Self.at(1)) == .incremental)
    }
}

@Suite("Invalid transactions")
struct InvalidTransactionTests {
    @Test("a backend refuses a transaction holding refused operations, and writes nothing")
    func backendRefuses() async throws {
        let backend = FakeBackend()
        var transaction = Transaction()
        let table = Table(TableRef(.ip, "switchyard"))
        try transaction.add(.table(table))
        transaction.refuse(Operation(.add, .table(table)), because: .unsupportedVerb(.add, object: "table ip switchyard"))
        await #expect(throws: InvalidTransaction.self) { try await backend.commit(transaction) }
        #expect(await backend.writes.isEmpty)
        #expect(await backend.ruleset.tables.isEmpty, "nothing of it was applied")
    }
}
