import SwitchyardNFT
import SwitchyardNetlink
import SwitchyardRules
import SwitchyardModel

/// An in-memory backend over ``FakeNetfilter`` for tests and dry runs: transactions apply to the
/// fake (which rejects invalid ones as the kernel would); `reconcile` compares with the fake's
/// current ruleset, so drift made with ``mutate(_:)`` is repaired the way the kernel path repairs it.
/// ``failNext(_:)`` makes the next writes throw, to exercise retries.
public actor FakeBackend: SyncBackend {
    public private(set) var netfilter = FakeNetfilter()
    /// Every write that reached the fake, in order: "commit" or "reconcile", with its operation count.
    public private(set) var writes: [(kind: String, operations: Int)] = []
    /// Conntrack filters asked for, in order.
    public private(set) var conntrackRequests: [ConntrackFilter] = []
    private var failures = 0
    private var drifted = false
    private var holding = false
    private var held: [CheckedContinuation<Void, Never>] = []

    /// A backend failure injected by ``failNext(_:)``.
    public struct InjectedFailure: Error, CustomStringConvertible {
        public var description: String { "injected backend failure" }
    }

    public init() {}

    /// The fake's ruleset (what "the kernel" holds).
    public var ruleset: Ruleset { netfilter.ruleset }

    /// Makes the next `count` commits or reconciles throw.
    public func failNext(_ count: Int) { failures += count }

    /// Makes writes wait, as a slow kernel would, until ``releaseWrites()``.
    public func holdWrites() { holding = true }

    /// Lets held writes (and later ones) go on.
    public func releaseWrites() {
        holding = false
        for writer in held { writer.resume() }
        held = []
    }

    /// Writes waiting in ``holdWrites()``.
    public var heldWrites: Int { held.count }

    /// Applies `transaction` behind the loop's back (drift: someone ran `nft`).
    public func mutate(_ transaction: Transaction) throws {
        try netfilter.apply(transaction)
        drifted = true
    }

    /// False after ``mutate(_:)`` until the next write (the kernel's generation check, in memory).
    /// What ``hostAddresses()`` answers (nil: unknown).
    public private(set) var interfaceAddresses: [IPAddress]?

    /// Sets the addresses the next ``hostAddresses()`` reports, as an interface change would.
    public func setInterfaceAddresses(_ addresses: [IPAddress]?) { interfaceAddresses = addresses }

    public func hostAddresses() async -> [IPAddress]? { interfaceAddresses }

    public func isUntouchedSinceLastWrite() async -> Bool {
        !drifted && !writes.isEmpty
    }

    public func commit(_ transaction: Transaction) async throws -> ProgrammingReport {
        await waitIfHeld()
        try consumeFailure()
        try transaction.checkCommittable()
        try netfilter.apply(transaction)
        drifted = false
        writes.append(("commit", transaction.count))
        return ProgrammingReport(operations: transaction.count)
    }

    public func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport {
        await waitIfHeld()
        try consumeFailure()
        let transaction = Differ.diff(from: netfilter.ruleset, to: wanted)
        try transaction.checkCommittable()
        try netfilter.apply(transaction)
        drifted = false
        writes.append(("reconcile", transaction.count))
        return ProgrammingReport(operations: transaction.count)
    }

    public func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int {
        conntrackRequests += filters
        return 0
    }

    private func waitIfHeld() async {
        guard holding else { return }
        await withCheckedContinuation { held.append($0) }
    }

    private func consumeFailure() throws {
        if failures > 0 {
            failures -= 1
            throw InjectedFailure()
        }
    }
}
