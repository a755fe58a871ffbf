import Testing
@testable import SwitchyardNFT

@Suite("FieldTuple: inline element keys")
struct FieldTupleTests {
    static let samples: [Value] = [
        .address(Address("10.96.0.1")!), .address(Address("fd00::10:1")!),
        .prefix(Prefix("10.64.0.0/10")!), .prefix(Prefix("fd00:10::/48")!),
        .proto(.udp), .port(8443), .integer(4_000_000_000), .mark(0x4000),
        .ctState([.established, .related]), .ctStatus([.dnat]), .addressType(.local), .family(.ip6),
        .string("eth0"), .string("sixteen-bytes-if"),
    ]

    @Test("every value kind reads back as written", arguments: samples)
    func roundTrip(value: Value) {
        let tuple: FieldTuple = [.port(1), value]
        #expect(tuple.count == 2)
        #expect(Array(tuple) == [.port(1), value])
        #expect(!tuple.isTruncated)
    }

    @Test("order is Value's order, field by field, a prefix first")
    func order() {
        let keys: [[Value]] = [
            [.address(Address("10.0.0.2")!), .proto(.tcp), .port(80)],
            [.address(Address("10.0.0.10")!), .proto(.tcp), .port(80)],
            [.address(Address("10.0.0.2")!), .proto(.udp), .port(53)],
            [.address(Address("10.0.0.2")!), .proto(.tcp), .port(443)],
            [.address(Address("10.0.0.2")!), .proto(.tcp)],
            [.address(Address("fd00::1")!), .proto(.tcp), .port(80)],
        ]
        func valueOrder(_ lhs: [Value], _ rhs: [Value]) -> Bool {
            for (a, b) in zip(lhs, rhs) where a != b { return a < b }
            return lhs.count < rhs.count
        }
        #expect(keys.map { FieldTuple($0) }.sorted().map { Array($0) } == keys.sorted(by: valueOrder))
    }

    @Test("equal tuples hash alike; different ones differ")
    func hashing() {
        let a: FieldTuple = [.address(Address("10.0.0.1")!), .port(80)]
        let b = FieldTuple([.address(Address("10.0.0.1")!)]).appending(.port(80))
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a != [.address(Address("10.0.0.1")!), .port(81)])
        #expect(a != [.address(Address("10.0.0.1")!), .integer(80)])
        #expect(Set([a, b, [.port(80)]]).count == 2)
    }

    @Test("the widest key, two IPv6 addresses with a protocol and a port, fits in 56 bytes")
    func widest() {
        let values: [Value] = [.address(Address("fd00::1:2:3:4")!), .address(Address("fd00:ffff::ffff:ffff")!), .proto(.udp), .port(65535)]
        let tuple = FieldTuple(values)
        #expect(!tuple.isTruncated)
        #expect(Array(tuple) == values)
        #expect(tuple.word(1) == (0xfd00_ffff_0000_0000, 0x0000_0000_ffff_ffff))
        #expect(tuple.word(3) == (0, 65535))
        #expect(MemoryLayout<FieldTuple>.stride <= 56)
        let lower = FieldTuple([.address(Address("fd00::1:2:3:4")!), .address(Address("fd00:ffff::ffff:fffe")!), .proto(.udp), .port(65535)])
        #expect(lower < tuple && lower.precedesSameShape(tuple) && !tuple.precedesSameShape(lower))
    }

    @Test("an element keeps its rare timeout and comment out of line, compared by value")
    func elementAnnotations() {
        let key: FieldTuple = [.address(Address("10.0.0.1")!), .port(80)]
        var element = Element(key, .verdict(.accept))
        #expect(MemoryLayout<Element>.stride <= 120)
        #expect(element.timeout == nil && element.comment == nil)
        element.comment = "svc"
        element.timeout = 30
        #expect(element == Element(key, .verdict(.accept), timeout: 30, comment: "svc"))
        #expect(element.hashValue == Element(key, .verdict(.accept), timeout: 30, comment: "svc").hashValue)
        #expect(element != Element(key, .verdict(.accept), timeout: 30))
        element.comment = nil
        element.timeout = nil
        #expect(element == Element(key, .verdict(.accept)))
    }

    @Test("a third 128-bit field does not fit and is marked")
    func tooWide() {
        let six = Value.address(Address("fd00::1")!)
        #expect(!FieldTuple([six, six, .port(1), .port(2)]).isTruncated)
        #expect(!FieldTuple([.string("eth0"), six, .port(1)]).isTruncated)
        #expect(FieldTuple([six, six, .string("eth0")]).isTruncated)
        #expect(FieldTuple([six, .port(1), six, six]).isTruncated)
    }

    @Test("a fifth field or a long string is refused by the transaction, naming the set")
    func truncation() throws {
        let table = TableRef(.ip, "sy")
        let fifth: FieldTuple = [.port(1), .port(2), .port(3), .port(4), .port(5)]
        #expect(fifth.isTruncated && fifth.count == 4)
        #expect(FieldTuple([.string(String(repeating: "x", count: 17))]).isTruncated)
        var transaction = Transaction()
        #expect(throws: TransactionError.self) {
            try transaction.add(.elements(Elements(table, "ports", [Element(fifth)])))
        }
        do {
            try transaction.add(.elements(Elements(table, "ports", [Element(fifth)])))
        } catch {
            #expect(error.description.contains("element ip sy ports"))
        }
    }
}
