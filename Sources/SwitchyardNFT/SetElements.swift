/// The elements of one set or map, by key: a dictionary's interface over an unordered array of
/// elements and an open-addressing index from key to position.
///
/// A plain `[FieldTuple: Element]` stored each ~200-byte element inside its hash table, so a full
/// sync copied 100k elements into it and out again, and faulted in a 30 MiB table; a
/// `[FieldTuple: Int]` beside the array still spent most of a compile hashing with `Hasher` and
/// missing the cache on 88-byte buckets. Here the compiler's element array is adopted as it is, the
/// index is 4 bytes a slot (linear probing, at most half full, a seeded multiply-xorshift hash),
/// removal swaps the last element into the hole (O(1)), and ``sorted`` copies each element once.
/// Order is not kept: every reader that shows elements sorts them.
public struct SetElements: Sendable, Hashable {
    /// Every element, in no particular order.
    public private(set) var values: [Element] = []
    private var index = KeyIndex()

    /// No elements.
    public init() {}

    /// `elements`, a later element replacing an earlier one with the same key.
    public init(_ elements: [Element]) {
        values = elements
        index = KeyIndex(capacity: elements.count)
        var duplicates = false
        for position in elements.indices {
            if let earlier = index.insert(position, for: elements[position].key, in: elements) {
                index.replace(earlier, with: position, for: elements[position].key)
                duplicates = true
            }
        }
        guard duplicates else { return }
        // Keep the last of each key, the one the index points at.
        values = elements.indices.filter { index.position(of: elements[$0].key, in: elements) == $0 }.map { elements[$0] }
        index = KeyIndex(capacity: values.count)
        for position in values.indices { _ = index.insert(position, for: values[position].key, in: values) }
    }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    /// Every key, in no particular order.
    public var keys: [FieldTuple] { values.map(\.key) }
    /// The elements in key order (what text output and interval sets need).
    public var sorted: [Element] { Element.sortedByKey(values) }

    /// The element with `key`; setting nil removes it.
    public subscript(key: FieldTuple) -> Element? {
        get { index.position(of: key, in: values).map { values[$0] } }
        set {
            if let newValue {
                precondition(newValue.key == key, "an element stored under another key")
                insert(newValue)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Gives the element array the capacity it uses plus an eighth (after a bulk build that grew it
    /// by doubling): steady churn fits in the eighth, where an exact fit would double on the next add.
    public mutating func shrinkToFit() {
        var fitted: [Element] = []
        fitted.reserveCapacity(values.count + values.count / 8)
        fitted.append(contentsOf: values)
        values = fitted
    }

    /// Where the element with `key` is in ``values``.
    public func position(of key: FieldTuple) -> Int? {
        index.position(of: key, in: values)
    }

    /// Replaces the element at `position` with one of the same key.
    public mutating func replace(at position: Int, with element: Element) {
        precondition(values[position].key == element.key, "an element stored under another key")
        values[position] = element
    }

    /// Adds `element`, replacing the one with the same key.
    public mutating func insert(_ element: Element) {
        if let position = index.position(of: element.key, in: values) {
            values[position] = element
            return
        }
        values.append(element)
        _ = index.insert(values.count - 1, for: element.key, in: values)
    }

    /// Adds `elements`; when the set is empty the array is adopted without copying its elements.
    public mutating func insert(contentsOf elements: [Element]) {
        guard !isEmpty else {
            self = SetElements(elements)
            return
        }
        values.reserveCapacity(values.count + elements.count)
        for element in elements { insert(element) }
    }

    /// Removes and returns the element with `key`. The last element moves into its position (the
    /// returned `moved` says so, for arrays kept parallel to ``values``).
    @discardableResult
    public mutating func removeValue(forKey key: FieldTuple) -> Element? {
        removeReportingMove(forKey: key)?.element
    }

    /// Removes the element with `key`: it, the position it had, and whether the last element moved
    /// into that position.
    public mutating func removeReportingMove(forKey key: FieldTuple) -> (element: Element, position: Int, moved: Bool)? {
        guard let position = index.remove(key, in: values) else { return nil }
        let removed = values[position]
        let last = values.count - 1
        if position != last {
            index.replace(last, with: position, for: values[last].key)
            values[position] = values[last]
        }
        values.removeLast()
        return (removed, position, position != last)
    }

    public mutating func removeAll() {
        values.removeAll()
        index = KeyIndex()
    }

    /// Same elements, whatever their order.
    public static func == (lhs: SetElements, rhs: SetElements) -> Bool {
        lhs.count == rhs.count && lhs.values.allSatisfy { rhs[$0.key] == $0 }
    }

    /// Order-independent: the sum of the elements' hashes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(values.reduce(0) { $0 &+ $1.hashValue })
    }
}

/// Where a ``KeyIndex`` reads the key recorded at a position: an element array, or packed storage.
protocol ElementKeys {
    func key(at position: Int) -> FieldTuple
}

extension Array: ElementKeys where Element == SwitchyardNFT.Element {
    @inline(__always) func key(at position: Int) -> FieldTuple { self[position].key }
}

/// Key → position in an element store: linear probing over 32-bit slots (-1 empty), kept at most
/// half full, deletion by backward shift (no tombstones). The keys live in the store, not here.
struct KeyIndex: Sendable {
    private var slots: [Int32] = []
    private var used = 0
    /// Per process, so that crafted keys cannot be aimed at one probe chain.
    private static let seed = UInt64.random(in: .min ... .max)

    init() {}

    /// Room for `capacity` keys before the first growth.
    init(capacity: Int) { slots = Array(repeating: -1, count: Self.slotCount(for: capacity)) }

    private static func slotCount(for count: Int) -> Int {
        var size = 8
        while size < count * 2 { size <<= 1 }
        return size
    }

    private func home(of key: FieldTuple) -> Int {
        Int(truncatingIfNeeded: key.mixedHash(seed: Self.seed) >> 1) & (slots.count - 1)
    }

    /// Where `key` is in `values`.
    func position(of key: FieldTuple, in values: some ElementKeys) -> Int? {
        guard used > 0 else { return nil }
        var slot = home(of: key)
        while true {
            let position = slots[slot]
            if position < 0 { return nil }
            if values.key(at: Int(position)) == key { return Int(position) }
            slot = (slot + 1) & (slots.count - 1)
        }
    }

    /// Records that `key` is at `position` of `values`; if the key is already present, returns its
    /// position and records nothing.
    mutating func insert(_ position: Int, for key: FieldTuple, in values: some ElementKeys) -> Int? {
        if (used + 1) * 2 > slots.count { grow(values) }
        var slot = home(of: key)
        while true {
            let present = slots[slot]
            if present < 0 {
                slots[slot] = Int32(position)
                used += 1
                return nil
            }
            if values.key(at: Int(present)) == key { return Int(present) }
            slot = (slot + 1) & (slots.count - 1)
        }
    }

    /// Points `key`, recorded at `old`, at `new` instead.
    mutating func replace(_ old: Int, with new: Int, for key: FieldTuple) {
        var slot = home(of: key)
        while slots[slot] != Int32(old) { slot = (slot + 1) & (slots.count - 1) }
        slots[slot] = Int32(new)
    }

    /// Forgets `key`; returns the position it had.
    mutating func remove(_ key: FieldTuple, in values: some ElementKeys) -> Int? {
        guard used > 0 else { return nil }
        let mask = slots.count - 1
        var slot = home(of: key)
        while true {
            let position = slots[slot]
            if position < 0 { return nil }
            if values.key(at: Int(position)) == key { break }
            slot = (slot + 1) & mask
        }
        let removed = Int(slots[slot])
        // Backward shift: pull later members of the probe run into the hole when their home allows.
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] >= 0 {
            let home = home(of: values.key(at: Int(slots[next])))
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = -1
        used -= 1
        return removed
    }

    /// Doubles the table (8 slots from empty) and re-homes every recorded position of `values`.
    private mutating func grow(_ values: some ElementKeys) {
        let recorded = slots.filter { $0 >= 0 }
        slots = Array(repeating: -1, count: max(8, slots.count * 2))
        let mask = slots.count - 1
        for position in recorded {
            var slot = home(of: values.key(at: Int(position)))
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = position
        }
    }
}
