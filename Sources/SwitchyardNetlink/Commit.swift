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
    /// - Parameter expectedGeneration: commit only if the ruleset generation is still this one
    ///   (throws `NetlinkError.generationChanged` otherwise).
    @discardableResult
    public func apply(_ operations: [KernelOperation], expectedGeneration: UInt32? = nil) throws(NetlinkError) -> CommitSummary {
        let batch = makeBatch(expectedGeneration: expectedGeneration)
        for operation in operations { BatchEncoder.encode(operation, into: batch) }
        let messages = batch.count
        let generation = try commit(batch)
        return CommitSummary(messages: messages, bytes: batch.length, generation: generation)
    }
}
