import SwitchyardNFT
import SwitchyardSystem

/// What one reconciliation found and did.
public struct ReconcileSummary: Sendable, Hashable {
    /// Operations the kernel needed (0: it already had exactly what is wanted).
    public var operations: Int
    /// The commit, when there was anything to commit.
    public var commit: CommitSummary?
    /// What each operation was (for logs: drift that was repaired).
    public var labels: [String] = []
    /// Objects added, and deleted or flushed (an element counts as one object).
    public var added = 0
    public var removed = 0
    /// Elements of sets too large to read back, flushed and added again unread (they count in
    /// `added` too), and the operations that did it (they count in `operations`): not repairs, since
    /// the kernel's contents were never compared.
    public var rewritten = 0
    public var rewriteOperations = 0
    /// Operations that repaired a difference the read-back found.
    public var repairs: Int { operations - rewriteOperations }
}

/// Programs typed rulesets into the kernel of one network namespace: the incremental path (a
/// differ's `Transaction`, lowered and committed as one batch) and the reconciling path (read the
/// tables back, compare at the kernel level, commit only the difference) used at start-up and on
/// periodic resyncs. One owner; calls block, so async callers run them off the cooperative pool.
public final class NetfilterProgrammer {
    private let socket: NetfilterSocket
    /// The ruleset generation right after this programmer's last commit or reconciliation: while the
    /// kernel still reports it, nobody else has committed anything, and the tables are as programmed.
    public private(set) var lastGeneration: UInt32?

    /// Tells commits to Switchyard's tables by others from commits to other tables; nil when not
    /// asked for or the event group could not be joined (then any commit anywhere means a read-back).
    private let monitor: RulesetMonitor?

    /// Opens the programmer's socket in `namespace`. With `followingEvents` (the daemon's drift
    /// check), it also joins the nf_tables event group; one-shot users leave it off, since while any
    /// socket listens the kernel builds a notification for every element anyone else commits.
    public init(namespace: NetworkNamespace = .current, followingEvents: Bool = false) throws(NetlinkError) {
        socket = try NetfilterSocket(namespace: namespace)
        monitor = followingEvents ? try? RulesetMonitor(namespace: namespace, tableName: OwnedTables.name) : nil
    }

    /// Whether this programmer follows nf_tables events (see ``isUntouchedSinceLastCommit()``).
    public var followsEvents: Bool { monitor != nil }

    public var namespace: NetworkNamespace { socket.namespace }

    /// Commits `transaction` atomically (it carries the set definitions its elements need).
    @discardableResult
    public func commit(_ transaction: Transaction) throws(ProgrammingError) -> CommitSummary {
        do {
            try transaction.checkCommittable()
        } catch {
            throw .invalid(error)
        }
        let operations: [KernelOperation]
        do {
            operations = try Lowering.operations(transaction)
        } catch {
            throw .lowering(error)
        }
        guard !operations.isEmpty else { return CommitSummary(messages: 0, bytes: 0, generation: lastGeneration ?? 0) }
        monitor?.ownCommitStarts()
        do {
            let summary = try socket.apply(operations)
            lastGeneration = summary.generation
            monitor?.ownCommitEnded(atGeneration: summary.generation)
            return summary
        } catch {
            lastGeneration = nil
            monitor?.ownCommitEnded(atGeneration: nil)
            throw .kernel(error)
        }
    }

    /// True when Switchyard's tables cannot have drifted since this programmer last wrote them, so
    /// they need no read-back: the ruleset generation (`NFT_MSG_GETGEN`, one small netlink round
    /// trip) is still the one it left, or, since its last read-back, the nf_tables events accounted
    /// for every commit and none by anyone else named its tables. False before the first sync.
    public func isUntouchedSinceLastCommit() throws(NetlinkError) -> Bool {
        guard let lastGeneration else { return false }
        let current = try socket.generation()
        if current == lastGeneration { return true }
        guard let monitor, monitor.isUntouched(atGeneration: current) else { return false }
        self.lastGeneration = current
        return true
    }

    /// Makes the kernel's tables `tables` equal to `wanted` with the fewest operations, in one
    /// transaction; tables absent from `wanted` are left alone unless listed in `tables`, in which
    /// case they are created.
    ///
    /// The read and the commit are tied by the ruleset generation: if anything changes the ruleset
    /// in between, the kernel refuses the commit and the reconciliation starts over (a few times).
    @discardableResult
    public func reconcile(to wanted: Ruleset, tables: [TableRef]) throws(ProgrammingError) -> ReconcileSummary {
        var attempt = 0
        while true {
            do {
                return try reconcileOnce(to: wanted, tables: tables)
            } catch .kernel(.generationChanged) where attempt < 4 {
                attempt += 1
            }
        }
    }

    private func reconcileOnce(to wanted: Ruleset, tables: [TableRef]) throws(ProgrammingError) -> ReconcileSummary {
        let generation: UInt32
        do {
            generation = try socket.generation()
        } catch {
            throw .kernel(error)
        }
        var operations: [KernelOperation] = []
        for table in tables {
            do {
                let target = try Lowering.kernelRuleset(wanted, table: table)
                let current = try socket.list(family: target.family, table: target.table, skippingElementsOf: Reconciler.setsToRewrite(target))
                if !target.exists {
                    if current.exists {
                        operations.append(KernelOperation(.deleteTable(current.family, current.table), label: "delete table \(table)"))
                    }
                    continue
                }
                operations += Reconciler.operations(from: current, to: target)
            } catch let error as LoweringError {
                throw .lowering(error)
            } catch let error as NetlinkError {
                throw .kernel(error)
            } catch {
                throw .kernel(.malformedReply("\(error)"))
            }
        }
        monitor?.readBack(atGeneration: generation)
        guard !operations.isEmpty else {
            lastGeneration = generation
            return ReconcileSummary(operations: 0, commit: nil)
        }
        monitor?.ownCommitStarts()
        do {
            let commit = try socket.apply(operations, expectedGeneration: generation)
            lastGeneration = commit.generation
            monitor?.ownCommitEnded(atGeneration: commit.generation)
            var summary = ReconcileSummary(operations: operations.count, commit: commit, labels: operations.map(\.label))
            // The reconciler flushes a set only to refill it unread (rebuilt tables are deleted whole).
            let rewrittenSets = operations.compactMap { operation -> KernelSet? in
                if case .flushSet(let set) = operation.kind { set } else { nil }
            }
            for operation in operations {
                switch operation.kind {
                case .addElements(let set, let elements, _):
                    summary.added += elements.count
                    if rewrittenSets.contains(set) {
                        summary.rewritten += elements.count
                        summary.rewriteOperations += 1
                    }
                case .flushSet(let set) where rewrittenSets.contains(set):
                    summary.removed += 1
                    summary.rewriteOperations += 1
                case .deleteElements(_, let elements, _): summary.removed += elements.count
                case .addTable, .addChain, .addRule, .insertRule, .replaceRule, .addSet: summary.added += 1
                case .deleteTable, .flushTable, .deleteChain, .flushChain, .deleteRule, .deleteSet, .flushSet: summary.removed += 1
                }
            }
            return summary
        } catch {
            lastGeneration = nil
            monitor?.ownCommitEnded(atGeneration: nil)
            throw .kernel(error)
        }
    }

    /// Deletes the conntrack entries matching `filter`; returns how many.
    public func deleteConntrack(matching filter: ConntrackFilter) throws(NetlinkError) -> Int {
        try socket.deleteConntrack(matching: filter)
    }

    /// Deletes the conntrack entries matching any of `filters`; returns how many.
    public func deleteConntrack(matchingAny filters: [ConntrackFilter]) throws(NetlinkError) -> Int {
        try socket.deleteConntrack(matchingAny: filters)
    }

    /// Deletes Switchyard's own tables (cleanup).
    @discardableResult
    public func deleteOwnedTables() throws(NetlinkError) -> [ListedTable] {
        try socket.deleteTables(named: OwnedTables.name)
    }
}

/// Programming failed: the typed model could not be encoded, or the kernel refused it.
public enum ProgrammingError: Error, Sendable, CustomStringConvertible {
    case lowering(LoweringError)
    case kernel(NetlinkError)
    /// The transaction holds refused operations and was not sent.
    case invalid(InvalidTransaction)

    public var description: String {
        switch self {
        case .invalid(let error): error.description
        case .lowering(let error): error.description
        case .kernel(let error): error.description
        }
    }
}
