import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
import SwitchyardNetlink

/// What one write to the backend did, for logs and metrics.
public struct ProgrammingReport: Sendable, Hashable {
    /// Operations in the transaction (0: nothing needed).
    public var operations: Int
    /// Netlink messages sent in the batch (0 for the fake, or when nothing was sent).
    public var messages: Int
    /// Bytes sent in the batch.
    public var bytes: Int
    /// Elements of sets too large to read back that a reconciliation flushed and added again unread.
    public var rewrittenElements: Int
    /// nftables sets whose declared size had to be raised before the commit (`family table set → size`).
    public var raisedSetSizes: [String]

    public init(operations: Int, messages: Int = 0, bytes: Int = 0, rewrittenElements: Int = 0, raisedSetSizes: [String] = []) {
        self.operations = operations
        self.messages = messages
        self.bytes = bytes
        self.rewrittenElements = rewrittenElements
        self.raisedSetSizes = raisedSetSizes
    }
}

/// Where the sync loop writes rules: the kernel (``KernelBackend``) or an in-memory fake
/// (``FakeBackend``). Every call may block on I/O, so implementations run it off the cooperative pool.
public protocol SyncBackend: Sendable {
    /// Commits a differ's transaction (self-contained: it carries the set definitions it needs).
    func commit(_ transaction: Transaction) async throws -> ProgrammingReport
    /// Reads the owned tables back and commits only the difference to `wanted` (start-up and resyncs:
    /// an unchanged kernel gets nothing, drift is repaired).
    func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport
    /// True when nobody else has changed the tables since this backend's last successful write, so a
    /// resync needs no read-back (the kernel: the ruleset generation is still the one the last commit
    /// left, or the nf_tables events show that no other commit named the tables). False when unknown
    /// or on any error.
    func isUntouchedSinceLastWrite() async -> Bool
    /// Deletes the conntrack entries matching each filter; returns how many were deleted.
    /// Failures are logged by the implementation and count as 0: stale flows are not worth a retry.
    func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int
    /// The interface addresses of the programmed namespace (for `--nodeport-addresses CIDR…`); nil
    /// when they cannot be read (the failure is logged by the implementation).
    func hostAddresses() async -> [IPAddress]?
    /// Modes that program from the plan rather than from nftables transactions (iptables): program
    /// `plan` whole (`changed` nil) or after a change to those Services, and return what was done.
    /// nil: this backend programs nftables (`commit` / `reconcile`).
    func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport?
    /// True when ``program(plan:changed:)`` does all the programming: the Syncer then compiles no
    /// nftables rules (plans only).
    var programsFromPlan: Bool { get }
}

extension SyncBackend {
    public func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? { nil }
    public var programsFromPlan: Bool { false }
}
