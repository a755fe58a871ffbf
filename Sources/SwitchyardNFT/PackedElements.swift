/// The elements of one set, kept compactly for state that lives as long as the process: the
/// incremental compiler keeps one per set element, a million at 10,000 Services × 100 endpoints.
///
/// When every element of the set has the same key ``FieldTuple/Shape`` and the same data shape, and
/// none carries a verdict, timeout or comment — every slot map and address set Switchyard writes —
/// an element is stored as its value slots alone: 24 bytes for an IPv4 slot-map element
/// (`daddr . proto . port . slot : daddr . port`) where an ``Element`` is 120 (heaptrack at
/// 10,000 × 100: 142 MB of compiler state, the largest single part of the daemon's heap). The first
/// element that does not fit turns the store into a plain element array, as ``SetElements`` keeps.
///
/// Positions are dense (0 ..< ``count``) and removal moves the last element into the hole, so
/// callers can keep parallel arrays (``removeReportingMove(forKey:)`` says when it moved one).
public struct PackedElements: Sendable {
    /// The shapes every packed element has; nil data means a set without data.
    private struct Schema: Equatable, Sendable {
        let key: FieldTuple.Shape
        let data: FieldTuple.Shape?
        var stride: Int { key.slotCount + (data?.slotCount ?? 0) }

        /// The schema `element` fits, nil if it cannot be packed.
        init?(of element: Element) {
            guard element.timeout == nil, element.comment == nil else { return nil }
            switch element.data {
            case nil: data = nil
            case .values(let values): data = values.shape
            case .verdict: return nil
            }
            key = element.key.shape
        }
    }

    /// The packed elements' slots, read as keys by the index.
    private struct PackedKeys: ElementKeys {
        let shape: FieldTuple.Shape
        let stride: Int
        let slots: [UInt32]

        @inline(__always) func key(at position: Int) -> FieldTuple {
            slots.withUnsafeBufferPointer { FieldTuple(shape: shape, slots: $0, at: position * stride) }
        }
    }

    /// Set by the first element; nil while empty and once plain.
    private var schema: Schema?
    private var slots: [UInt32] = []
    private var plain: [Element] = []
    private var isPlain = false
    private var index = KeyIndex()
    /// How many elements there are.
    public private(set) var count = 0

    /// No elements.
    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// Every element, in no particular order (built; a plain store returns its array).
    public var values: [Element] {
        if isPlain { return plain }
        return (0..<count).map(element(at:))
    }

    /// The element at `position` (0 ..< ``count``).
    public func element(at position: Int) -> Element {
        if isPlain { return plain[position] }
        guard let schema else { preconditionFailure("element \(position) of an empty set") }
        return slots.withUnsafeBufferPointer { buffer in
            let start = position * schema.stride
            let key = FieldTuple(shape: schema.key, slots: buffer, at: start)
            guard let data = schema.data else { return Element(key) }
            return Element(key, .values(FieldTuple(shape: data, slots: buffer, at: start + schema.key.slotCount)))
        }
    }

    /// Where the element with `key` is.
    public func position(of key: FieldTuple) -> Int? {
        if isPlain { return index.position(of: key, in: plain) }
        guard let schema, key.shape == schema.key else { return nil }
        return index.position(of: key, in: keys(schema))
    }

    /// Adds `element`, whose key must not be present.
    public mutating func append(_ element: Element) {
        if !isPlain, schema == nil, count == 0 { schema = Schema(of: element) }
        if !isPlain, let schema, Schema(of: element) == schema {
            slots.append(contentsOf: repeatElement(0, count: schema.stride))
            write(element, at: count, schema)
            let inserted = index.insert(count, for: element.key, in: keys(schema))
            precondition(inserted == nil, "PackedElements.append of a key already present")
        } else {
            unpack()
            plain.append(element)
            let inserted = index.insert(count, for: element.key, in: plain)
            precondition(inserted == nil, "PackedElements.append of a key already present")
        }
        count += 1
    }

    /// Replaces the element at `position` with one of the same key.
    public mutating func replace(at position: Int, with element: Element) {
        if !isPlain, let schema, Schema(of: element) == schema {
            write(element, at: position, schema)
            return
        }
        unpack()
        precondition(plain[position].key == element.key, "an element stored under another key")
        plain[position] = element
    }

    /// Removes the element with `key`: it, the position it had, and whether the last element moved
    /// into that position.
    public mutating func removeReportingMove(forKey key: FieldTuple) -> (element: Element, position: Int, moved: Bool)? {
        let removedPosition: Int?
        if isPlain {
            removedPosition = index.remove(key, in: plain)
        } else if let schema, key.shape == schema.key {
            removedPosition = index.remove(key, in: keys(schema))
        } else {
            removedPosition = nil
        }
        guard let position = removedPosition else { return nil }
        let removed = element(at: position)
        let last = count - 1
        if position != last {
            if isPlain {
                index.replace(last, with: position, for: plain[last].key)
                plain[position] = plain[last]
            } else if let schema {
                index.replace(last, with: position, for: keys(schema).key(at: last))
                let stride = schema.stride
                slots.withUnsafeMutableBufferPointer { buffer in
                    for slot in 0..<stride { buffer[position * stride + slot] = buffer[last * stride + slot] }
                }
            }
        }
        if isPlain {
            plain.removeLast()
        } else if let schema {
            slots.removeLast(schema.stride)
        }
        count -= 1
        if count == 0 { self = PackedElements() }
        return (removed, position, position != last)
    }

    /// Gives the storage the capacity it uses plus an eighth (after a bulk build that grew it by
    /// doubling): steady churn fits in the eighth, where an exact fit would double on the next add.
    public mutating func shrinkToFit() {
        if isPlain {
            plain = Self.fitted(plain)
        } else {
            slots = Self.fitted(slots)
        }
    }

    private static func fitted<Value>(_ values: [Value]) -> [Value] {
        var fitted: [Value] = []
        fitted.reserveCapacity(values.count + values.count / 8)
        fitted.append(contentsOf: values)
        return fitted
    }

    private func keys(_ schema: Schema) -> PackedKeys {
        PackedKeys(shape: schema.key, stride: schema.stride, slots: slots)
    }

    private mutating func write(_ element: Element, at position: Int, _ schema: Schema) {
        let start = position * schema.stride
        slots.withUnsafeMutableBufferPointer { buffer in
            element.key.storeSlots(into: buffer, at: start, count: schema.key.slotCount)
            if case .values(let data) = element.data, let shape = schema.data {
                data.storeSlots(into: buffer, at: start + schema.key.slotCount, count: shape.slotCount)
            }
        }
    }

    /// Turns the store into a plain element array (once an element does not fit the schema).
    private mutating func unpack() {
        guard !isPlain else { return }
        plain = (0..<count).map(element(at:))
        slots = []
        schema = nil
        isPlain = true
        // Positions are unchanged, so the index stays valid.
    }
}
