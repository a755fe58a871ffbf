import Testing
@testable import SwitchyardNFT

@Suite("PackedElements: a set's elements as value slots")
struct PackedElementsTests {
    static func slot(_ index: UInt32, to address: String) -> Element {
        SetElementsTests.slot(index, to: address)
    }

    static func slot6(_ index: UInt32, to address: String) -> Element {
        let key = FieldTuple(.address(Address("fd00::1")!), .proto(.udp), .port(53)).appending(.integer(index))
        return Element(key, .values(FieldTuple(.address(Address(address)!), .port(5353))))
    }

    /// Every element with its position, checked against the store's lookups.
    static func contents(_ store: PackedElements) -> [Element] {
        for position in 0..<store.count {
            let element = store.element(at: position)
            #expect(store.position(of: element.key) == position)
        }
        return Element.sortedByKey(store.values)
    }

    @Test("elements of one shape come back equal, IPv4 and IPv6, through every position")
    func roundTrip() {
        let shapes: [(family: String, make: (UInt32, String) -> Element)] = [("10.0.0.", Self.slot), ("fd00::", Self.slot6)]
        for (family, make) in shapes {
            var store = PackedElements()
            let elements = (0..<40).map { make($0, "\(family)\($0 + 1)") }
            for element in elements { store.append(element) }
            #expect(store.count == 40)
            #expect(Self.contents(store) == Element.sortedByKey(elements))
            #expect(store.position(of: make(40, "\(family)1").key) == nil)
        }
    }

    @Test("replacing and removing keep every key at its position; removal moves the last element into the hole")
    func replaceAndRemove() throws {
        var store = PackedElements()
        for index: UInt32 in 0..<6 { store.append(Self.slot(index, to: "10.0.0.\(index + 1)")) }
        let position = try #require(store.position(of: Self.slot(2, to: "10.0.0.3").key))
        store.replace(at: position, with: Self.slot(2, to: "10.0.0.99"))
        #expect(store.element(at: position) == Self.slot(2, to: "10.0.0.99"))

        let removal = store.removeReportingMove(forKey: Self.slot(1, to: "10.0.0.2").key)
        let removed = try #require(removal)
        #expect(removed.element == Self.slot(1, to: "10.0.0.2"))
        #expect(removed.moved)
        #expect(store.element(at: removed.position) == Self.slot(5, to: "10.0.0.6"))
        #expect(store.removeReportingMove(forKey: Self.slot(1, to: "10.0.0.2").key) == nil)
        #expect(Self.contents(store) == [0, 2, 3, 4, 5].map { Self.slot($0, to: $0 == 2 ? "10.0.0.99" : "10.0.0.\($0 + 1)") })
    }

    @Test("an element of another shape, a verdict or a timeout turns the store plain and loses nothing")
    func plainFallback() {
        let misfits = [
            Element(FieldTuple(.address(Address("10.96.0.9")!), .proto(.tcp), .port(80)).appending(.integer(0)), .verdict(.accept)),
            Element(SetElementsTests.key(7), .values(FieldTuple(.address(Address("10.0.0.7")!))), timeout: 30),
            Element(SetElementsTests.key(8), .values(FieldTuple(.address(Address("10.0.0.8")!)))),
        ]
        for misfit in misfits {
            var store = PackedElements()
            let regular = (0..<5).map { Self.slot($0, to: "10.0.0.\($0 + 1)") }
            for element in regular { store.append(element) }
            store.append(misfit)
            #expect(Self.contents(store) == Element.sortedByKey(regular + [misfit]))
            _ = store.removeReportingMove(forKey: misfit.key)
            store.append(Self.slot(9, to: "10.0.0.10"))
            #expect(Self.contents(store) == Element.sortedByKey(regular + [Self.slot(9, to: "10.0.0.10")]))
        }
    }

    @Test("emptied, it takes the shape of the next element")
    func emptiedStoreTakesANewShape() {
        var store = PackedElements()
        store.append(Self.slot(0, to: "10.0.0.1"))
        _ = store.removeReportingMove(forKey: Self.slot(0, to: "10.0.0.1").key)
        #expect(store.isEmpty)
        store.append(Self.slot6(0, to: "fd00::1"))
        store.append(Self.slot6(1, to: "fd00::2"))
        #expect(Self.contents(store) == [Self.slot6(0, to: "fd00::1"), Self.slot6(1, to: "fd00::2")])
    }
}
