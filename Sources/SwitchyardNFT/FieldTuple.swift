/// A set element's key or a map element's data: up to ``capacity`` values stored inline — no heap
/// allocation, no reference counting — hashed and ordered as plain words.
///
/// Switchyard's tables hold hundreds of thousands of elements; as `[Value]` arrays each cost an
/// allocation and enum-by-enum hashing and comparison, which dominated a full sync. A tuple reads as
/// a collection of ``Value``s (decoded on access), so code that inspects elements is unchanged.
///
/// Every ``Value`` kind is representable: addresses and prefixes (IPv4/IPv6), protocols, ports,
/// integers and marks, conntrack states and status bits (as flag sets), address types, families,
/// and strings of at most 16 bytes (nft's interface names; `IFNAMSIZ`). A longer string, a fifth
/// field, or a third 128-bit field (IPv6 addresses and prefixes, strings) cannot be held: the tuple
/// is then marked ``isTruncated``, and a ``Transaction`` refuses it.
///
/// Values are packed in 32-bit slots, in field order: one slot for a value of at most 32 bits, four
/// for a 128-bit one, ten in all (`ip6 saddr . ip6 daddr . proto . port`, Switchyard's widest key,
/// fills them). 56 bytes a tuple where a pair of 64-bit words per field took 80: an element holds
/// two (key and data), and the compiler keeps one per set element, a million at 10,000 × 100.
public struct FieldTuple: Sendable, Hashable, Comparable, RandomAccessCollection, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The most fields a tuple holds (Switchyard's widest key is `daddr . proto . port . saddr`).
    public static let capacity = 4

    /// The 32-bit slots values are packed into.
    static let slotCapacity = 10

    /// Slots 2i (high half) and 2i + 1 (low half) of word i; unused slots are zero. A 128-bit value
    /// takes four slots, most significant first, so slot order is numeric order.
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    /// Field kinds, 8 bits per field, field 0 in the low byte (``Kind``).
    private var kinds: UInt32 = 0
    /// Per field 8 bits: a prefix length or a string's byte count.
    private var extras: UInt32 = 0
    private var fieldCount: UInt8 = 0
    /// True when a value could not be stored (see the type's documentation).
    public private(set) var isTruncated = false

    /// Stored kinds, in ``Value``'s sort rank order so that ordering by kind matches ``Value``'s `<`.
    enum Kind: UInt8 {
        case address4 = 1, address6, prefix4, prefix6, proto, port, integer, mark, ctState, ctStatus, addressType, family, string
    }

    /// The empty tuple.
    public init() {}

    /// A tuple of `values` (see ``isTruncated`` for what does not fit).
    public init(_ values: some Sequence<Value>) {
        for value in values { append(value) }
    }

    public init(arrayLiteral values: Value...) { self.init(values) }

    /// A one-field tuple, built without the array a literal allocates.
    public init(_ only: Value) { append(only) }

    /// A two-field tuple, built without the array a literal allocates (the compiler's hot loops).
    public init(_ first: Value, _ second: Value) {
        append(first)
        append(second)
    }

    /// A three-field tuple, built without an array.
    public init(_ first: Value, _ second: Value, _ third: Value) {
        append(first)
        append(second)
        append(third)
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(fieldCount) }

    public subscript(position: Int) -> Value {
        precondition(position >= 0 && position < Int(fieldCount), "field \(position) of a \(fieldCount)-field tuple")
        let (high, low) = word(position)
        let extra = Int(extras >> (8 * UInt32(position)) & 0xff)
        switch Kind(rawValue: kind(position)) {
        case .address4: return .address(.v4(UInt32(truncatingIfNeeded: low)))
        case .address6: return .address(.v6(high: high, low: low))
        case .prefix4: return .prefix(Prefix(.v4(UInt32(truncatingIfNeeded: low)), extra))
        case .prefix6: return .prefix(Prefix(.v6(high: high, low: low), extra))
        case .proto: return .proto(L4Proto(rawValue: UInt8(truncatingIfNeeded: low)) ?? .tcp)
        case .port: return .port(UInt16(truncatingIfNeeded: low))
        case .integer: return .integer(UInt32(truncatingIfNeeded: low))
        case .mark: return .mark(UInt32(truncatingIfNeeded: low))
        case .ctState: return .ctState(CtState.allCases.enumerated().filter { low & 1 << $0.offset != 0 }.map(\.element))
        case .ctStatus: return .ctStatus(CtStatus.allCases.enumerated().filter { low & 1 << $0.offset != 0 }.map(\.element))
        case .addressType: return .addressType(AddressType.allCases[Int(low)])
        case .family: return .family(Family.allCases[Int(low)])
        case .string, nil:
            var bytes: [UInt8] = []
            for index in 0..<extra { bytes.append(UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8)))) }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
    }

    // MARK: Building

    /// Appends `value` as the next field.
    public mutating func append(_ value: Value) {
        guard Int(fieldCount) < Self.capacity else {
            isTruncated = true
            return
        }
        let stored = Self.encode(value)
        let position = Int(fieldCount)
        let offset = slotOffset(position)
        guard offset + Self.width(stored.kind) <= Self.slotCapacity else {
            isTruncated = true
            return
        }
        if stored.truncated { isTruncated = true }
        kinds |= UInt32(stored.kind.rawValue) << (8 * UInt32(position))
        extras |= UInt32(stored.extra) << (8 * UInt32(position))
        if Self.width(stored.kind) == 4 {
            setSlot(offset, UInt32(truncatingIfNeeded: stored.high >> 32))
            setSlot(offset + 1, UInt32(truncatingIfNeeded: stored.high))
            setSlot(offset + 2, UInt32(truncatingIfNeeded: stored.low >> 32))
            setSlot(offset + 3, UInt32(truncatingIfNeeded: stored.low))
        } else {
            setSlot(offset, UInt32(truncatingIfNeeded: stored.low))
        }
        fieldCount += 1
    }

    /// This tuple with `value` appended.
    public func appending(_ value: Value) -> FieldTuple {
        var copy = self
        copy.append(value)
        return copy
    }

    /// The first `count` fields.
    public func prefix(fields count: Int) -> FieldTuple {
        var copy = FieldTuple()
        for position in 0..<Swift.min(count, Int(fieldCount)) { copy.append(self[position]) }
        copy.isTruncated = isTruncated
        return copy
    }

    private static func encode(_ value: Value) -> (kind: Kind, high: UInt64, low: UInt64, extra: UInt8, truncated: Bool) {
        switch value {
        case .address(.v4(let bits)): return (.address4, 0, UInt64(bits), 0, false)
        case .address(.v6(let high, let low)): return (.address6, high, low, 0, false)
        case .prefix(let prefix):
            switch prefix.address {
            case .v4(let bits): return (.prefix4, 0, UInt64(bits), UInt8(prefix.length), false)
            case .v6(let high, let low): return (.prefix6, high, low, UInt8(prefix.length), false)
            }
        case .proto(let proto): return (.proto, 0, UInt64(proto.rawValue), 0, false)
        case .port(let port): return (.port, 0, UInt64(port), 0, false)
        case .integer(let number): return (.integer, 0, UInt64(number), 0, false)
        case .mark(let number): return (.mark, 0, UInt64(number), 0, false)
        case .ctState(let states):
            return (.ctState, 0, states.reduce(0) { $0 | 1 << UInt64(CtState.allCases.firstIndex(of: $1) ?? 0) }, 0, false)
        case .ctStatus(let bits):
            return (.ctStatus, 0, bits.reduce(0) { $0 | 1 << UInt64(CtStatus.allCases.firstIndex(of: $1) ?? 0) }, 0, false)
        case .addressType(let type): return (.addressType, 0, UInt64(AddressType.allCases.firstIndex(of: type) ?? 0), 0, false)
        case .family(let family): return (.family, 0, UInt64(Family.allCases.firstIndex(of: family) ?? 0), 0, false)
        case .string(let text):
            let bytes = Array(text.utf8.prefix(16))
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                if index < 8 { high |= UInt64(byte) << (56 - 8 * UInt64(index)) } else { low |= UInt64(byte) << (56 - 8 * UInt64(index - 8)) }
            }
            return (.string, high, low, UInt8(bytes.count), text.utf8.count > 16)
        }
    }

    // MARK: Raw access (for encoders)

    func kind(_ position: Int) -> UInt8 { UInt8(truncatingIfNeeded: kinds >> (8 * UInt32(position))) }

    /// Slots a value of `kind` takes: four for 128 bits (IPv6 addresses and prefixes, strings), else one
    /// (every other kind fits 32 bits: addresses, ports, marks, flag sets of at most 32 flags).
    @inline(__always)
    private static func width(_ kind: Kind) -> Int {
        switch kind {
        case .address6, .prefix6, .string: 4
        default: 1
        }
    }

    /// The first slot of field `position`: the widths of the fields before it.
    @inline(__always)
    private func slotOffset(_ position: Int) -> Int {
        var offset = 0
        for earlier in 0..<position { offset += Self.width(Kind(rawValue: kind(earlier)) ?? .string) }
        return offset
    }

    @inline(__always)
    private func storedWord(_ index: Int) -> UInt64 {
        switch index {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        case 3: words.3
        default: words.4
        }
    }

    @inline(__always)
    private func slot(_ index: Int) -> UInt64 {
        let word = storedWord(index / 2)
        return index % 2 == 0 ? word >> 32 : word & 0xffff_ffff
    }

    private mutating func setSlot(_ index: Int, _ value: UInt32) {
        let shift: UInt64 = index % 2 == 0 ? 32 : 0
        let bits = UInt64(value) << shift
        switch index / 2 {
        case 0: words.0 |= bits
        case 1: words.1 |= bits
        case 2: words.2 |= bits
        case 3: words.3 |= bits
        default: words.4 |= bits
        }
    }

    /// The value of field `position` as two words: the high 64 bits (IPv6, strings; else zero) and the low 64 bits.
    @inline(__always)
    public func word(_ position: Int) -> (high: UInt64, low: UInt64) {
        let offset = slotOffset(position)
        guard let kind = Kind(rawValue: kind(position)), Self.width(kind) == 4 else { return (0, slot(offset)) }
        return (slot(offset) << 32 | slot(offset + 1), slot(offset + 2) << 32 | slot(offset + 3))
    }

    // MARK: Equality, hashing, order

    public static func == (lhs: FieldTuple, rhs: FieldTuple) -> Bool {
        lhs.kinds == rhs.kinds && lhs.extras == rhs.extras && lhs.fieldCount == rhs.fieldCount && lhs.isTruncated == rhs.isTruncated
            && lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
            && lhs.words.4 == rhs.words.4
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(kinds) | UInt64(extras) << 32)
        hasher.combine(words.0)
        // Fields of 32 bits each fill the first two words; the rest are zero but for wider values.
        if words.1 | words.2 | words.3 | words.4 != 0 {
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
            hasher.combine(words.4)
        }
    }

    /// Field by field — kind, then value (numerically: addresses, ports, integers), then prefix
    /// length — and a tuple that is a prefix of another first: the order ``Value``'s `<` gives.
    public static func < (lhs: FieldTuple, rhs: FieldTuple) -> Bool {
        let shared = Swift.min(lhs.fieldCount, rhs.fieldCount)
        var position = 0
        while position < shared {
            let (leftKind, rightKind) = (lhs.kind(position), rhs.kind(position))
            if leftKind != rightKind { return leftKind < rightKind }
            let (leftWord, rightWord) = (lhs.word(position), rhs.word(position))
            if leftWord.high != rightWord.high { return leftWord.high < rightWord.high }
            if leftWord.low != rightWord.low { return leftWord.low < rightWord.low }
            let shift = 8 * UInt32(position)
            let (leftExtra, rightExtra) = (lhs.extras >> shift & 0xff, rhs.extras >> shift & 0xff)
            if leftExtra != rightExtra { return leftExtra < rightExtra }
            position += 1
        }
        return lhs.fieldCount < rhs.fieldCount
    }

    /// A 64-bit hash of every stored word, seeded: what ``SetElements``' open-addressing index probes
    /// with (cheaper than `Hasher`, which dominated building the index of a 100k-element set).
    func mixedHash(seed: UInt64) -> UInt64 {
        @inline(__always) func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
            let product = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
            return product ^ product >> 31
        }
        let hash = (seed ^ UInt64(kinds) | UInt64(extras) << 32) &* 0x9E37_79B9_7F4A_7C15
        return mix(mix(mix(mix(mix(hash, words.0), words.1), words.2), words.3), words.4)
    }

    /// The family of the first address or prefix field that a table of family `table` cannot hold
    /// (an `inet` table holds both), read from the stored kinds without building values.
    func addressFamily(incompatibleWith table: Family) -> Family? {
        for position in 0..<Int(fieldCount) {
            let family: Family
            switch Kind(rawValue: kind(position)) {
            case .address4, .prefix4: family = .ip
            case .address6, .prefix6: family = .ip6
            default: continue
            }
            if table != .inet && family != table { return family }
        }
        return nil
    }

    /// Whether `other` has the same fields kinds, prefix lengths and count: then ``precedesSameShape(_:)``
    /// orders the two as `<` does, by their words alone.
    func hasSameShape(as other: FieldTuple) -> Bool {
        kinds == other.kinds && extras == other.extras && fieldCount == other.fieldCount && isTruncated == other.isTruncated
    }

    /// `self < other` for a tuple of the same shape: the fields are in the same slots, stored most
    /// significant first in field order, so the order is that of the five words.
    func precedesSameShape(_ other: FieldTuple) -> Bool {
        if words.0 != other.words.0 { return words.0 < other.words.0 }
        if words.1 != other.words.1 { return words.1 < other.words.1 }
        if words.2 != other.words.2 { return words.2 < other.words.2 }
        if words.3 != other.words.3 { return words.3 < other.words.3 }
        return words.4 < other.words.4
    }

    // MARK: Packing (stores of many tuples of one shape)

    /// Everything about a tuple but its values — field kinds, prefix lengths or string sizes, field
    /// count — and how many 32-bit slots the values take. Tuples of one shape keep their values in
    /// the same slots, so a store of many needs the shape once and ``slotCount`` slots per tuple.
    public struct Shape: Hashable, Sendable {
        fileprivate let kinds: UInt32
        fileprivate let extras: UInt32
        fileprivate let fieldCount: UInt8
        fileprivate let isTruncated: Bool
        /// The 32-bit slots a tuple of this shape fills.
        public let slotCount: Int
    }

    /// This tuple's ``Shape``.
    public var shape: Shape {
        Shape(kinds: kinds, extras: extras, fieldCount: fieldCount, isTruncated: isTruncated, slotCount: slotOffset(Int(fieldCount)))
    }

    /// Writes the value slots (``Shape/slotCount`` of them) to `slots` from `start` on.
    @inline(__always)
    public func storeSlots(into slots: UnsafeMutableBufferPointer<UInt32>, at start: Int, count: Int) {
        for index in 0..<count { slots[start + index] = UInt32(truncatingIfNeeded: slot(index)) }
    }

    /// The tuple of `shape` whose value slots are `slots[start ..< start + shape.slotCount]`.
    @inline(__always)
    public init(shape: Shape, slots: UnsafeBufferPointer<UInt32>, at start: Int) {
        kinds = shape.kinds
        extras = shape.extras
        fieldCount = shape.fieldCount
        isTruncated = shape.isTruncated
        for index in 0..<shape.slotCount { setSlot(index, slots[start + index]) }
    }

    /// `a . b . c`, as nft writes a concatenation.
    public var description: String {
        var text = ""
        write(to: &text)
        return text
    }

    /// Appends ``description`` to `text`, field by field, with no intermediate array or join:
    /// rendering a full sync writes 100k of these.
    public func write(to text: inout String) {
        for position in 0..<Int(fieldCount) {
            if position > 0 { text += " . " }
            text += self[position].description
        }
    }
}
