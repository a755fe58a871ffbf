import CSwitchyardNetfilter

/// The netlink attributes laid out in a byte range (type-length-value, each padded to 4 bytes), in
/// order; the walk stops at the first malformed one. The one reader of attributes the kernel sends or
/// the batch holds: the nf_tables events (``RulesetMonitor``), the extended-ACK TLVs of a refusal,
/// and the element nests of a batch message (to find the refused element).
struct NetlinkAttributeWalk: Sequence, IteratorProtocol {
    /// One attribute: its type (without the nested and byte-order flags), where it starts in the
    /// walked range, and its value.
    struct Attribute {
        var type: UInt16
        var offset: Int
        var length: Int
        var value: UnsafeRawBufferPointer
    }

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The attributes of a message after its netlink header and a family header of `headerLength`.
    init(message: UnsafePointer<nlmsghdr>, headerLength: Int) {
        let start = MemoryLayout<nlmsghdr>.size + Self.aligned(headerLength)
        let total = Int(message.pointee.nlmsg_len)
        let base = UnsafeRawPointer(message)
        self.init(UnsafeRawBufferPointer(start: base + start, count: Swift.max(0, total - start)))
    }

    mutating func next() -> Attribute? {
        guard offset + 4 <= bytes.count, let base = bytes.baseAddress else { return nil }
        let length = Int(base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        let type = base.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3fff
        guard length >= 4, offset + length <= bytes.count else { return nil }
        let attribute = Attribute(type: type, offset: offset, length: length,
                                  value: UnsafeRawBufferPointer(start: base + offset + 4, count: length - 4))
        offset += Self.aligned(length)
        return attribute
    }

    static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }
}

extension NetlinkAttributeWalk.Attribute {
    /// The value as a big-endian 32-bit number.
    var bigEndianUInt32: UInt32? {
        value.count == 4 ? UInt32(bigEndian: value.loadUnaligned(as: UInt32.self)) : nil
    }

    /// The value as a NUL-terminated string.
    var string: String {
        String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }
}
