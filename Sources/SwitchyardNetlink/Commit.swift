#if canImport(Glibc)
import Glibc
#endif

/// What one committed transaction cost.
public struct CommitSummary: Sendable, Hashable {
    /// Netlink messages between BATCH_BEGIN and BATCH_END.
    public var messages: Int
    /// Bytes sent in the one `sendto`.
    public var bytes: Int
    /// The ruleset generation after the commit.
    public var generation: UInt32
    /// Sets whose declared size the commit had to raise first, as `family table set → size`
    /// (``SetCapacity``).
    public var raisedSetSizes: [String] = []
}

extension NetfilterSocket {
    /// Commits `operations` as one atomic transaction. On refusal nothing is committed and the
    /// error lists every refused operation by name.
    ///
    /// A set the operations create with many elements is declared with a size (``SetCapacity``); a
    /// commit that would take an existing sized set past its size has the size raised first, in a
    /// commit of its own (raising a cap changes no packet's fate), and is sent again.
    ///
    /// - Parameter expectedGeneration: commit only if the ruleset generation is still this one
    ///   (throws `NetlinkError.generationChanged` otherwise).
    @discardableResult
    public func apply(_ operations: [KernelOperation], expectedGeneration: UInt32? = nil) throws(NetlinkError) -> CommitSummary {
        let capacity = SetCapacity.kernelRaisesSizes ? setCapacity : nil
        let sizes = capacity?.declaredSizes(for: operations) ?? [:]
        var expectedGeneration = expectedGeneration
        var raises = 0
        var raised: [String] = []
        while true {
            let batch = makeBatch(expectedGeneration: expectedGeneration)
            for (index, operation) in operations.enumerated() {
                batch.operationIndex = index
                BatchEncoder.encode(operation, into: batch, declaredSizes: sizes)
            }
            let messages = batch.count
            do {
                let generation = try commit(batch)
                return CommitSummary(messages: messages, bytes: batch.length, generation: generation, raisedSetSizes: raised)
            } catch .rejected(let refused) {
                let full = Self.fullSets(refused, in: operations)
                guard let capacity, !full.isEmpty, raises < 3 else { throw .rejected(refused) }
                guard let (generation, updated) = try raise(full, operations: operations, capacity: capacity,
                                                            expectedGeneration: expectedGeneration) else { throw .rejected(refused) }
                expectedGeneration = expectedGeneration.map { _ in generation }
                raised += updated
                raises += 1
            }
        }
    }

    /// The sets whose elements the kernel refused for being full (`ENFILE`).
    private static func fullSets(_ refused: [RejectedOperation], in operations: [KernelOperation]) -> [SetName: KernelSet] {
        var sets: [SetName: KernelSet] = [:]
        for refusal in refused where refusal.errno == ENFILE {
            guard let index = refusal.operationIndex, operations.indices.contains(index),
                  case .addElements(let set, _, _) = operations[index].kind else { continue }
            sets[SetName(set)] = set
        }
        return sets
    }

    /// Raises the declared sizes of the `full` sets that have one, in a commit of its own; returns
    /// the generation after it and each set raised (`family table set → size`), or nil when none
    /// had a size to raise. Sets the batch itself creates are sized from every element it adds to
    /// them, so they are not among the full ones.
    private func raise(
        _ full: [SetName: KernelSet], operations: [KernelOperation], capacity: SetCapacity, expectedGeneration: UInt32?
    ) throws(NetlinkError) -> (generation: UInt32, updated: [String])? {
        let adding = SetCapacity.addedElements(in: operations)
        var declared: [String: [String: UInt32]] = [:]  // one listing of the sets per family and table
        var updates: [(KernelSet, UInt32)] = []
        for (name, set) in full.sorted(by: { $0.key.name < $1.key.name }) {
            let table = "\(name.family.name) \(name.table)"
            if declared[table] == nil { declared[table] = try declaredSetSizes(family: name.family, table: name.table) }
            if let current = declared[table]?[name.name] {
                updates.append((set, capacity.raisedSize(from: current, adding: adding[name] ?? 0)))
            }
        }
        guard !updates.isEmpty else { return nil }
        let batch = makeBatch(expectedGeneration: expectedGeneration)
        for (set, size) in updates {
            BatchEncoder.encode(
                KernelOperation(.addSet(set), label: "raise the size of \(set.table) \(set.name) to \(size)"),
                into: batch, declaredSizes: [SetName(set): size])
        }
        let generation = try commit(batch)
        return (generation, updates.map { "\(SetName($0.0)) → \($0.1)" })
    }
}
