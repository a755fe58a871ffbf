import CSwitchyardNetfilter

/// A netfilter batch under construction: BATCH_BEGIN, the operations, BATCH_END, in one growable
/// buffer so that it goes to the kernel in a single `sendto` (one atomic transaction). Every message
/// gets its own sequence number, recorded with a description so a kernel error can name it.
/// What an operation in a batch was, for naming it when the kernel refuses it.
enum MessageLabel {
    case operation(String)
    /// One message holding many elements, each with its own description.
    case elements(operation: String, elements: ElementLabels)

    /// The operation, without its elements.
    var summary: String {
        switch self {
        case .operation(let text): text
        case .elements(let operation, let elements): "\(operation) (\(elements.count) elements)"
        }
    }
}

final class NetlinkBatch {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var length = 0
    private(set) var labels: [UInt32: MessageLabel] = [:]
    /// Where each operation's message starts in the buffer, to decode extended-ACK offsets.
    private(set) var starts: [UInt32: Int] = [:]
    /// The operation the messages appended next belong to (its index in the list committed).
    var operationIndex: Int?
    /// Each message's operation index, when one was set.
    private(set) var operationIndices: [UInt32: Int] = [:]
    private(set) var nextSequence: UInt32
    private var operationCount = 0
    private var setIDs: UInt32 = 0
    /// Operations whose message could not be built (libnftnl could not allocate): the commit refuses
    /// the batch naming them rather than send it without them.
    private(set) var unencoded: [String] = []

    /// A batch-unique id for a new set.
    func nextSetID() -> UInt32 {
        setIDs += 1
        return setIDs
    }
    /// No single message is larger than this (libnftnl writes without bounds checks).
    static let maximumMessageSize = 1 << 16

    /// - Parameter expectedGeneration: when given, the kernel refuses the whole batch (ERESTART) if
    ///   the ruleset generation is no longer this one — someone changed the ruleset since it was read.
    init(firstSequence: UInt32, expectedGeneration: UInt32? = nil) {
        capacity = 1 << 20
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        nextSequence = firstSequence
        if appendRaw({ buffer, sequence in
            let header = nftnl_batch_begin(buffer, sequence)
            if let header, let expectedGeneration {
                mnl_attr_put_u32(header, UInt16(NFNL_BATCH_GENID.rawValue), expectedGeneration.bigEndian)
            }
            return header
        }) == nil { unencoded.append("batch begin") }
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
        append(.operation(label), build)
    }

    /// Appends one operation whose refusal is described by `label`.
    func append(
        _ label: MessageLabel,
        _ build: (UnsafeMutablePointer<CChar>, UInt32) -> UnsafeMutablePointer<nlmsghdr>?
    ) {
        let start = length
        let sequence = appendRaw(build)
        guard let sequence else {
            unencoded.append(label.summary)
            return
        }
        labels[sequence] = label
        starts[sequence] = start
        if let operationIndex { operationIndices[sequence] = operationIndex }
        operationCount += 1
    }

    /// Names what the kernel refused: for an element message with an extended-ACK offset, the
    /// element the offset falls in.
    func describeRefusal(sequence: UInt32, offset: UInt32?) -> String? {
        guard let label = labels[sequence] else { return nil }
        switch label {
        case .operation(let text):
            return text
        case .elements(let operation, let elements):
            if let offset, let start = starts[sequence],
               let index = elementIndex(messageStart: start, offset: Int(offset)), index < elements.count {
                return "\(operation) \(elements[index])"
            }
            let shown = (0..<min(3, elements.count)).map { elements[$0] }.joined(separator: ", ")
            return "\(operation) (one of \(elements.count): \(shown)\(elements.count > 3 ? ", …" : ""))"
        }
    }

    /// Walks a NEWSETELEM/DELSETELEM message to find which element nest contains `offset` (from the
    /// message's start, as the extended ACK gives it).
    private func elementIndex(messageStart: Int, offset: Int) -> Int? {
        let base = UnsafeRawPointer(storage + messageStart)
        let messageLength = Int(base.loadUnaligned(as: UInt32.self))
        let attributesStart = 20 // nlmsghdr + nfgenmsg
        let message = UnsafeRawBufferPointer(start: base + attributesStart, count: max(0, messageLength - attributesStart))
        guard let list = NetlinkAttributeWalk(message).first(where: { $0.type == 3 }) else { return nil } // NFTA_SET_ELEM_LIST_ELEMENTS
        let listStart = attributesStart + list.offset + 4
        for (index, element) in NetlinkAttributeWalk(list.value).enumerated() {
            let start = listStart + element.offset
            if offset >= start && offset < start + element.length { return index }
        }
        return nil
    }

    /// Closes the batch and hands out its bytes.
    func finish() -> UnsafeRawBufferPointer {
        if appendRaw({ buffer, sequence in nftnl_batch_end(buffer, sequence) }) == nil { unencoded.append("batch end") }
        return UnsafeRawBufferPointer(start: storage, count: length)
    }

    /// The sequence number of the message `build` wrote, nil when it wrote none.
    @discardableResult
    private func appendRaw(
        _ build: (UnsafeMutablePointer<CChar>, UInt32) -> UnsafeMutablePointer<nlmsghdr>?
    ) -> UInt32? {
        reserve(Self.maximumMessageSize)
        let sequence = nextSequence
        nextSequence &+= 1
        let position = (storage + length).bindMemory(to: CChar.self, capacity: Self.maximumMessageSize)
        guard let header = build(position, sequence) else { return nil }
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
