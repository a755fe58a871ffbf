import SwitchyardNFT

/// The elements one set receives from the Services that contribute them, each with how many
/// Services do: the incremental compiler's per-set bookkeeping. Stored as ``SetElements`` (the
/// elements in one array, a 4-byte-slot key index) plus a parallel count array — a third of the
/// memory of a `[FieldTuple: (Element, Int)]` dictionary at 100k elements (measured with heaptrack).
struct CountedElements: Sendable {
    private(set) var elements = SetElements()
    private var counts: [Int32] = []

    var isEmpty: Bool { elements.isEmpty }
    var count: Int { elements.count }

    /// The element with `key` and its count.
    subscript(key: FieldTuple) -> (value: Element, count: Int)? {
        elements.position(of: key).map { (elements.values[$0], Int(counts[$0])) }
    }

    /// Gives the storage the capacity it uses plus an eighth (after the initial build).
    mutating func shrinkToFit() {
        elements.shrinkToFit()
        var fitted: [Int32] = []
        fitted.reserveCapacity(counts.count + counts.count / 8)
        fitted.append(contentsOf: counts)
        counts = fitted
    }

    /// Adds `sign` (±1) to the count of `element`'s key: an addition stores `element` (the newest
    /// contributor's value), a removal keeps the stored one; a count that reaches 0 removes it.
    mutating func count(_ element: Element, sign: Int) {
        if let position = elements.position(of: element.key) {
            let count = Int(counts[position]) + sign
            if count <= 0 {
                if let removed = elements.removeReportingMove(forKey: element.key), removed.moved {
                    counts[removed.position] = counts[counts.count - 1]
                }
                counts.removeLast()
            } else {
                counts[position] = Int32(count)
                if sign > 0 { elements.replace(at: position, with: element) }
            }
        } else if sign > 0 {
            elements.insert(element)
            counts.append(1)
        }
    }
}
