import Testing
@testable import SwitchyardNFT

@Suite("SetElements: a set's elements by key")
struct SetElementsTests {
    static func key(_ index: UInt32) -> FieldTuple {
        FieldTuple(.address(Address("10.96.0.1")!), .proto(.tcp), .port(80)).appending(.integer(index))
    }

    static func slot(_ index: UInt32, to address: String) -> Element {
        Element(key(index), .values(FieldTuple(.address(Address(address)!), .port(8080))))
    }

    @Test("a later element with the same key replaces the earlier one, whether built at once or inserted")
    func lastWriteWins() {
        let batch = [Self.slot(0, to: "10.0.0.1"), Self.slot(1, to: "10.0.0.2"), Self.slot(0, to: "10.0.0.9")]
        let built = SetElements(batch)
        var inserted = SetElements()
        for element in batch { inserted.insert(element) }
        for elements in [built, inserted] {
            #expect(elements.count == 2)
            #expect(elements[Self.slot(0, to: "10.0.0.9").key] == Self.slot(0, to: "10.0.0.9"))
            #expect(elements.sorted == [Self.slot(0, to: "10.0.0.9"), Self.slot(1, to: "10.0.0.2")])
        }
        #expect(built == inserted)
    }

    @Test("removal moves the last element into the hole and keeps every key reachable")
    func removal() {
        var elements = SetElements((0..<6).map { Self.slot($0, to: "10.0.0.\($0 + 1)") })
        #expect(elements.removeValue(forKey: Self.key(1)) == Self.slot(1, to: "10.0.0.2"))
        #expect(elements.removeValue(forKey: Self.key(1)) == nil)
        elements[Self.key(5)] = nil
        #expect(elements.count == 4)
        for index: UInt32 in [0, 2, 3, 4] { #expect(elements[Self.key(index)]?.data == Self.slot(index, to: "10.0.0.\(index + 1)").data) }
        elements.insert(contentsOf: [Self.slot(1, to: "10.0.0.7")])
        #expect(elements.sorted.map(\.key) == [0, 1, 2, 3, 4].map { Self.key($0) })
    }

    @Test("equal and equally hashed whatever the insertion order")
    func orderFree() {
        let batch = (0..<5).map { Self.slot($0, to: "10.0.0.\($0 + 1)") }
        let forward = SetElements(batch)
        let backward = SetElements(batch.reversed())
        #expect(forward == backward)
        #expect(forward.hashValue == backward.hashValue)
        #expect(forward != SetElements(Array(batch.dropLast())))
    }

    @Test("random inserts, replacements and removals agree with a Dictionary, through growth and backward shifts")
    func againstDictionary() {
        var elements = SetElements()
        var model: [FieldTuple: Element] = [:]
        for round in 0..<20_000 {
            // A scrambled but fixed sequence of keys and operations (7919 is prime to 600).
            let index = UInt32(round * 7919 % 600)
            if (round * 31 + round / 600) % 3 == 0 {
                #expect(elements.removeValue(forKey: Self.key(index)) == model.removeValue(forKey: Self.key(index)))
            } else {
                let element = Self.slot(index, to: "10.0.\(round % 200).\(index % 250)")
                elements.insert(element)
                model[element.key] = element
            }
        }
        #expect(elements.count == model.count)
        for (key, element) in model { #expect(elements[key] == element) }
        #expect(elements.sorted == model.values.sorted { $0.key < $1.key })
        #expect(elements == SetElements(Array(model.values)))
    }
}
