import SwitchyardNFT

/// The elements one set receives from the Services that contribute them, each with how many
/// Services do: the ``CountedStore`` for elements, keyed by the element's key. Stored as
/// ``PackedElements`` (the elements' value slots in one array, a 4-byte-slot key index) plus a
/// parallel count array — a third of the memory of a `[FieldTuple: (Element, Int)]` dictionary at
/// 100k elements with whole elements in the array (measured with heaptrack), which is why the
/// elements do not use ``CountedTable``; packing took the rest from 142 to ~30 MB at 1M elements.
struct CountedElements: CountedStore, Sendable {
    private(set) var elements = PackedElements()
    private var counts: [Int32] = []

    var isEmpty: Bool { elements.isEmpty }
    var count: Int { elements.count }

    subscript(key: FieldTuple) -> Element? {
        elements.position(of: key).map { elements.element(at: $0) }
    }

    /// Gives the storage the capacity it uses plus an eighth (after the initial build).
    mutating func shrinkToFit() {
        elements.shrinkToFit()
        var fitted: [Int32] = []
        fitted.reserveCapacity(counts.count + counts.count / 8)
        fitted.append(contentsOf: counts)
        counts = fitted
    }

    @discardableResult
    mutating func count(_ key: FieldTuple, _ element: Element, sign: Int) -> Element? {
        guard let position = elements.position(of: key) else {
            if sign > 0 {
                elements.append(element)
                counts.append(1)
            }
            return nil
        }
        let previous = elements.element(at: position)
        let count = Int(counts[position]) + sign
        if count <= 0 {
            if let removed = elements.removeReportingMove(forKey: key), removed.moved {
                counts[removed.position] = counts[counts.count - 1]
            }
            counts.removeLast()
        } else {
            counts[position] = Int32(count)
            if sign > 0 { elements.replace(at: position, with: element) }
        }
        return previous
    }
}
