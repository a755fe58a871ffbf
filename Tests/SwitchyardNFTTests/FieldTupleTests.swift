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
