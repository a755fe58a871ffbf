import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules
import SwitchyardSystem
import Synchronization
import Testing
@testable import SwitchyardDaemon

/// A backend that notes, for each write, whether it ran on an event loop's thread.
struct LoopProbeBackend: SyncBackend {
    final class Calls: Sendable {
        let onLoop = Mutex<[Bool]>([])
    }

    let base = FakeBackend()
    let loop: any EventLoop
    let calls = Calls()

    func commit(_ transaction: Transaction) async throws -> ProgrammingReport {
        calls.onLoop.withLock { $0.append(loop.inEventLoop) }
        return try await base.commit(transaction)
    }

    func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport {
        calls.onLoop.withLock { $0.append(loop.inEventLoop) }
        return try await base.reconcile(to: wanted)
    }

    func isUntouchedSinceLastWrite() async -> Bool { await base.isUntouchedSinceLastWrite() }
    func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int { await base.deleteConntrack(matching: filters) }
    func hostAddresses() async -> [IPAddress]? { await base.hostAddresses() }
}

/// A service that records whether its body ran on an event loop's thread, before and after a suspension.
struct LoopProbeService: ServiceLifecycle.Service {
    let loop: any EventLoop
    let seen = LoopProbeBackend.Calls()

    func run() async throws {
        seen.onLoop.withLock { $0.append(loop.inEventLoop) }
        // Resumed by a timer on another thread: the job comes back to the loop.
        try await Task.sleep(for: .milliseconds(5))
        seen.onLoop.withLock { $0.append(loop.inEventLoop) }
    }
}

@Suite("Services pinned to an event loop")
struct PinnedServiceTests {
    @Test("a pinned service runs on the loop's thread, also after a suspension another thread ends")
    func runsOnTheLoop() async throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopTaskExecutor(eventLoop: loops.next())
        let probe = LoopProbeService(loop: executor.eventLoop)
        try await PinnedService(base: probe, executor: executor).run()
        #expect(probe.seen.onLoop.withLock { $0 } == [true, true])
        // Unpinned, the same body runs on the global executor's threads.
        let unpinned = LoopProbeService(loop: executor.eventLoop)
        try await unpinned.run()
        #expect(unpinned.seen.onLoop.withLock { $0 } == [false, false])
        try await loops.shutdownGracefully()
    }

    @Test("a sync loop pinned to an event loop runs its syncs off that loop")
    func syncsLeaveTheLoop() async throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopTaskExecutor(eventLoop: loops.next())
        let backend = LoopProbeBackend(loop: executor.eventLoop)
        let progress = SyncProgress()
        let input = SyncLoopInput()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let loop = SyncLoop(
            input: input, clock: ContinuousClock(),
            syncer: Syncer(backend: backend, config: ProxyConfig(nodeName: "node-a"), wallClock: { 1_800_000_000 }),
            minSyncPeriod: .milliseconds(10), syncPeriod: .seconds(30), outputs: SyncOutputs(logger: logger, progress: progress))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await PinnedService(base: loop, executor: executor).run() }
            input.yield(try Fixtures.initialBatch())
            #expect(await eventually { progress.syncs == 1 })
            input.yield(try Fixtures.sliceUpdate(endpoints: [1, 2, 3]))
            #expect(await eventually { progress.syncs == 2 })
            group.cancelAll()
        }
        #expect(backend.calls.onLoop.withLock { $0 } == [false, false], "the first sync's reconcile and the change's commit")
        try await loops.shutdownGracefully()
    }
}
