import SwitchyardModel
import Testing
@testable import SwitchyardDaemon

@Suite("Sync loop input")
struct SyncLoopInputTests {
    /// The batch a wake-up carries, by its one event's Namespace name.
    static func name(_ wakeup: SyncLoopWakeup?) -> String? {
        guard case .events(let batch) = wakeup, case .added(.namespace(let namespace)) = batch.first else { return nil }
        return namespace.name
    }

    static func batch(_ name: String) -> [ClusterEvent] { [.added(.namespace(Namespace(name: name)))] }

    @Test("wake-ups queued before the loop waits are taken in order, then one handed to it while it waits")
    func order() async {
        let input = SyncLoopInput()
        for name in ["a", "b", "c"] { input.yield(Self.batch(name)) }
        var taken: [String?] = []
        for _ in 0..<3 { taken.append(Self.name(await input.next())) }
        #expect(taken == ["a", "b", "c"])
        async let waiting = input.next()
        // The loop may or may not wait yet: either way it gets the batch.
        input.yield(Self.batch("d"))
        #expect(Self.name(await waiting) == "d")
    }

    @Test("finishing hands the queued wake-ups out first, then nil, and drops later ones")
    func finish() async {
        let input = SyncLoopInput()
        input.yield(Self.batch("a"))
        input.finish()
        input.yield(Self.batch("b"))
        #expect(Self.name(await input.next()) == "a")
        #expect(await input.next() == nil)
    }

    @Test("finishing wakes a waiting loop with nil")
    func finishWhileWaiting() async {
        let input = SyncLoopInput()
        async let waiting = input.next()
        try? await Task.sleep(for: .milliseconds(20))
        input.finish()
        #expect(await waiting == nil)
    }

    @Test("a cancelled loop gets nil at once, waiting or not")
    func cancellation() async {
        let input = SyncLoopInput()
        let waiting = Task { await input.next() }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        #expect(await waiting.value == nil)
        input.yield(Self.batch("a"))
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await input.next()
        }
        #expect(await cancelled.value == nil)
    }
}
