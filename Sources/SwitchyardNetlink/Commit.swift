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
}

extension NetfilterSocket {
    /// Commits `operations` as one atomic transaction. On refusal nothing is committed and the
    /// error lists every refused operation by name.
    ///
    /// A set the operations create with many elements is declared with a size (``SetCapacity``); a
    /// commit that would take a sized set past its size has the size raised first, in a commit of its
    /// own (raising a cap changes no packet's fate), and is sent again.
    ///
    /// - Parameter expectedGeneration: commit only if the ruleset generation is still this one
    ///   (throws `NetlinkError.generationChanged` otherwise).
    @discardableResult
    public func apply(_ operations: [KernelOperation], expectedGeneration: UInt32? = nil) throws(NetlinkError) -> CommitSummary {
        let capacity = SetCapacity.kernelRaisesSizes ? setCapacity : nil
        var sizes = capacity?.declaredSizes(for: operations) ?? [:]
        var expectedGeneration = expectedGeneration
        var raises = 0
        while true {
            let batch = makeBatch(expectedGeneration: expectedGeneration)
            for (index, operation) in operations.enumerated() {
                batch.operationIndex = index
                BatchEncoder.encode(operation, into: batch, declaredSizes: sizes)
            }
            let messages = batch.count
            do {
                let generation = try commit(batch)
                return CommitSummary(messages: messages, bytes: batch.length, generation: generation)
            } catch .rejected(let refused) {
                let full = Self.fullSets(refused, in: operations)
                guard let capacity, !full.isEmpty, raises < 3 else { throw .rejected(refused) }
                switch try raise(full, operations: operations, capacity: capacity, sizes: &sizes, expectedGeneration: expectedGeneration) {
                case .nothing: throw .rejected(refused)
                case .inBatch: break
                case .committed(let generation): expectedGeneration = expectedGeneration.map { _ in generation }
                }
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

    /// What raising the sizes of full sets did.
    private enum SizeRaise {
        /// Nothing: no full set had a declared size to raise.
        case nothing
        /// Only sets the batch itself creates: their sizes in the batch are larger.
        case inBatch
        /// Existing sets were updated in a commit of their own, leaving this generation.
        case committed(generation: UInt32)
    }

    /// Raises the sizes of `full` sets: those the operations create get a larger size in `sizes`;
    /// existing ones are updated in the kernel now.
    private func raise(
        _ full: [SetName: KernelSet], operations: [KernelOperation], capacity: SetCapacity,
        sizes: inout [SetName: UInt32], expectedGeneration: UInt32?
    ) throws(NetlinkError) -> SizeRaise {
        var adding: [SetName: Int] = [:]
        for operation in operations {
            if case .addElements(let set, let elements, _) = operation.kind { adding[SetName(set), default: 0] += elements.count }
        }
        var raisedInBatch = false
        var updates: [(KernelSet, UInt32)] = []
        for (name, set) in full.sorted(by: { $0.key.name < $1.key.name }) {
            if let size = sizes[name] {
                sizes[name] = capacity.raisedSize(from: size, adding: adding[name] ?? 0)
                raisedInBatch = true
            } else if let current = try declaredSetSizes(family: name.family, table: name.table)[name.name] {
                updates.append((set, capacity.raisedSize(from: current, adding: adding[name] ?? 0)))
            }
        }
        guard !updates.isEmpty else { return raisedInBatch ? .inBatch : .nothing }
        let batch = makeBatch(expectedGeneration: expectedGeneration)
        for (set, size) in updates {
            BatchEncoder.encode(
                KernelOperation(.addSet(set), label: "raise the size of \(set.table) \(set.name) to \(size)"),
                into: batch, declaredSizes: [SetName(set): size])
        }
        return .committed(generation: try commit(batch))
    }
}
