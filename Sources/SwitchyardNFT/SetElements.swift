/// The elements of one set or map, by key: a dictionary's interface over an unordered array of
/// elements and a small index from key to position.
///
/// A plain `[FieldTuple: Element]` stored each ~200-byte element inside its hash table, so a full
/// sync copied 100k elements into it and out again, and faulted in a 30 MiB table. Here the compiler's
/// element array is adopted as it is, the index holds only key and position, removal swaps the last
/// element into the hole (O(1)), and ``sorted`` copies each element once. Order is not kept: every
/// reader that shows elements sorts them.
public struct SetElements: Sendable, Hashable {
    /// Every element, in no particular order.
    public private(set) var values: [Element] = []
    private var positions: [FieldTuple: Int] = [:]

    /// No elements.
    public init() {}

    /// `elements`, a later element replacing an earlier one with the same key.
    public init(_ elements: [Element]) {
        values = elements
        positions.reserveCapacity(elements.count)
        var duplicates = false
        for index in elements.indices {
            if positions.updateValue(index, forKey: elements[index].key) != nil { duplicates = true }
        }
        guard duplicates else { return }
        // Keep the last of each key, where the index points.
        values = elements.indices.filter { positions[elements[$0].key] == $0 }.map { elements[$0] }
        positions.removeAll(keepingCapacity: true)
        for index in values.indices { positions[values[index].key] = index }
    }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    /// Every key, in no particular order.
    public var keys: [FieldTuple] { values.map(\.key) }
    /// The elements in key order (what text output and interval sets need).
    public var sorted: [Element] { Element.sortedByKey(values) }

    /// The element with `key`; setting nil removes it.
    public subscript(key: FieldTuple) -> Element? {
        get { positions[key].map { values[$0] } }
        set {
            if let newValue {
                precondition(newValue.key == key, "an element stored under another key")
                insert(newValue)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Adds `element`, replacing the one with the same key.
    public mutating func insert(_ element: Element) {
        if let index = positions[element.key] {
            values[index] = element
        } else {
            positions[element.key] = values.count
            values.append(element)
        }
    }

    /// Adds `elements`; when the set is empty the array is adopted without copying its elements.
    public mutating func insert(contentsOf elements: [Element]) {
        guard !isEmpty else {
            self = SetElements(elements)
            return
        }
        values.reserveCapacity(values.count + elements.count)
        positions.reserveCapacity(values.count + elements.count)
        for element in elements { insert(element) }
    }

    /// Removes and returns the element with `key`.
    @discardableResult
    public mutating func removeValue(forKey key: FieldTuple) -> Element? {
        guard let index = positions.removeValue(forKey: key) else { return nil }
        let removed = values[index]
        let last = values.count - 1
        if index != last {
            values[index] = values[last]
            positions[values[index].key] = index
        }
        values.removeLast()
        return removed
    }

    public mutating func removeAll() {
        values.removeAll()
        positions.removeAll()
    }

    public mutating func reserveCapacity(_ capacity: Int) {
        values.reserveCapacity(capacity)
        positions.reserveCapacity(capacity)
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
