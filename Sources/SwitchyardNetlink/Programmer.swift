import SwitchyardNFT

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
}

/// Programs typed rulesets into the kernel of one network namespace: the incremental path (a
/// differ's `Transaction`, lowered and committed as one batch) and the reconciling path (read the
/// tables back, compare at the kernel level, commit only the difference) used at start-up and on
/// periodic resyncs. One owner; calls block, so async callers run them off the cooperative pool.
public final class NetfilterProgrammer {
    private let socket: NetfilterSocket

    public init(namespace: NetworkNamespace = .current) throws(NetlinkError) {
        socket = try NetfilterSocket(namespace: namespace)
    }

    public var namespace: NetworkNamespace { socket.namespace }

    /// Commits `transaction` atomically. `programmed` is the typed state before it (for the set
    /// definitions its element operations refer to).
    @discardableResult
    public func commit(_ transaction: Transaction, programmed: Ruleset) throws(ProgrammingError) -> CommitSummary {
        let operations: [KernelOperation]
        do {
            operations = try Lowering.operations(transaction, programmed: programmed)
        } catch {
            throw .lowering(error)
        }
        guard !operations.isEmpty else { return CommitSummary(messages: 0, bytes: 0, generation: 0) }
        do {
            return try socket.apply(operations)
        } catch {
            throw .kernel(error)
        }
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
                let current = try socket.list(family: target.family, table: target.table)
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
        guard !operations.isEmpty else { return ReconcileSummary(operations: 0, commit: nil) }
        do {
            var summary = ReconcileSummary(operations: operations.count, commit: try socket.apply(operations, expectedGeneration: generation),
                                           labels: operations.map(\.label))
            for operation in operations {
                switch operation.kind {
                case .addElements(_, let elements, _): summary.added += elements.count
                case .deleteElements(_, let elements, _): summary.removed += elements.count
                case .addTable, .addChain, .addRule, .insertRule, .replaceRule, .addSet: summary.added += 1
                case .deleteTable, .flushTable, .deleteChain, .flushChain, .deleteRule, .deleteSet, .flushSet: summary.removed += 1
                }
            }
            return summary
        } catch {
            throw .kernel(error)
        }
    }

    /// Deletes the conntrack entries matching `filter`; returns how many.
    public func deleteConntrack(matching filter: ConntrackFilter) throws(NetlinkError) -> Int {
        try socket.deleteConntrack(matching: filter)
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

    public var description: String {
        switch self {
        case .lowering(let error): error.description
        case .kernel(let error): error.description
        }
    }
}
