/// Values by key, each with how many contributors hold it: the incremental compiler's bookkeeping
/// (elements, dispatch tables, per-service chains, affinity sets). An addition stores the newest
/// contributor's value, a removal keeps the stored one, and a count that reaches 0 removes the key.
protocol CountedStore {
    associatedtype Key: Hashable
    associatedtype Value

    /// The value stored under `key`, if any contributor holds it.
    subscript(key: Key) -> Value? { get }

    /// Adds `sign` (±1) to the count of `key`; returns the value stored before.
    @discardableResult
    mutating func count(_ key: Key, _ value: Value, sign: Int) -> Value?
}

extension CountedStore {
    /// Counts as ``count(_:_:sign:)`` does and, when `before` is not nil, records there the value
    /// `key` had before its first change in this batch (nil: it had none).
    mutating func count(_ key: Key, _ value: Value, sign: Int, recordingInto before: inout [Key: Value?]?) {
        let previous = count(key, value, sign: sign)
        if before != nil, before?.index(forKey: key) == nil { before?[key] = .some(previous) }
    }
}

/// A ``CountedStore`` in a dictionary.
struct CountedTable<Key: Hashable & Sendable, Value: Sendable>: CountedStore, Sendable {
    private struct Entry: Sendable {
        var value: Value
        var count: Int
    }

    private var entries: [Key: Entry] = [:]

    subscript(key: Key) -> Value? { entries[key]?.value }

    var keys: some Collection<Key> { entries.keys }
    var isEmpty: Bool { entries.isEmpty }
    /// Every key with its stored value.
    var contents: some Sequence<(key: Key, value: Value)> { entries.lazy.map { (key: $0.key, value: $0.value.value) } }

    @discardableResult
    mutating func count(_ key: Key, _ value: Value, sign: Int) -> Value? {
        let current = entries[key]
        let count = (current?.count ?? 0) + sign
        entries[key] = count <= 0 ? nil : Entry(value: sign > 0 ? value : (current?.value ?? value), count: count)
        return current?.value
    }
}
