import CSwitchyardNetfilter

/// A netfilter batch under construction: BATCH_BEGIN, the operations, BATCH_END, in one growable
/// buffer so that it goes to the kernel in a single `sendto` (one atomic transaction). Every message
/// gets its own sequence number, recorded with a description so a kernel error can name it.
final class NetlinkBatch {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var length = 0
    private(set) var labels: [UInt32: String] = [:]
    private(set) var nextSequence: UInt32
    private var operationCount = 0
    /// No single message is larger than this (libnftnl writes without bounds checks).
    static let maximumMessageSize = 1 << 16

    init(firstSequence: UInt32) {
        capacity = 1 << 20
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        nextSequence = firstSequence
        appendRaw { buffer, sequence in nftnl_batch_begin(buffer, sequence) }
    }

    deinit { storage.deallocate() }

    /// Number of operations between BEGIN and END.
    var count: Int { operationCount }

    /// Appends one operation: `build` writes a complete message at the pointer with the sequence
    /// number given and returns its header.
    func append(
        _ label: String,
        _ build: (UnsafeMutablePointer<CChar>, UInt32) -> UnsafeMutablePointer<nlmsghdr>?
    ) {
        let sequence = appendRaw(build)
        labels[sequence] = label
        operationCount += 1
    }

    /// Closes the batch and hands out its bytes.
    func finish() -> UnsafeRawBufferPointer {
        appendRaw { buffer, sequence in nftnl_batch_end(buffer, sequence) }
        return UnsafeRawBufferPointer(start: storage, count: length)
    }

    @discardableResult
    private func appendRaw(
        _ build: (UnsafeMutablePointer<CChar>, UInt32) -> UnsafeMutablePointer<nlmsghdr>?
    ) -> UInt32 {
        reserve(Self.maximumMessageSize)
        let sequence = nextSequence
        nextSequence &+= 1
        let position = (storage + length).bindMemory(to: CChar.self, capacity: Self.maximumMessageSize)
        guard let header = build(position, sequence) else { return sequence }
        length += (Int(header.pointee.nlmsg_len) + 3) & ~3
        return sequence
    }

    private func reserve(_ extra: Int) {
        guard length + extra > capacity else { return }
        var newCapacity = capacity
        while length + extra > newCapacity { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        grown.copyMemory(from: storage, byteCount: length)
        storage.deallocate()
        storage = grown
        capacity = newCapacity
    }
}
