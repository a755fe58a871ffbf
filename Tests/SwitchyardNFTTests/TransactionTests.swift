import Testing
@testable import SwitchyardNFT

@Suite("Transaction: text and validation")
struct TransactionTests {
    let table = TableRef(.ip, "sy")

    @Test("golden nft text of a small transaction")
    func golden() throws {
        var tx = Transaction()
        try tx.add(.table(Table(table)))
        try tx.add(.chain(Chain(table, "nat-prerouting", base: BaseChainSpec(type: .nat, hook: .prerouting, priority: .dstnat))))
        try tx.add(.chain(Chain(table, "filter-output", base: BaseChainSpec(type: .filter, hook: .output, priority: .dstnat - 10))))
        try tx.add(.set(NamedSet(table, "affinity", key: .typeOf([.payload(.ipSaddr), .payload(.ipDaddr)]),
                                 data: .data(.typeOf([.payload(.ipDaddr), .payload(.tcpDport)])), flags: [.timeout, .dynamic], timeout: 10800)))
        try tx.add(.rule(Rule(table, "nat-prerouting", [.l4proto(.tcp), .dnat(.address(Address("10.0.0.1")!, port: 80), family: nil)], comment: "to a")))
        try tx.add(.elements(Elements(table, "affinity", [Element([.address(Address("1.2.3.4")!), .address(Address("10.96.0.1")!)],
                                                                  .values([.address(Address("10.0.0.1")!), .port(80)]), timeout: 30)])))
        try tx.delete(.rule(Rule(table, "nat-prerouting", [], handle: 4)))
        try tx.flush(.set(NamedSet(table, "affinity", key: .types([.ipv4Address]))))
        #expect(tx.render() == """
            add table ip sy
            add chain ip sy nat-prerouting { type nat hook prerouting priority dstnat; policy accept; }
            add chain ip sy filter-output { type filter hook output priority -110; policy accept; }
            add map ip sy affinity { typeof ip saddr . ip daddr : ip daddr . tcp dport; flags timeout,dynamic; timeout 10800s; }
            add rule ip sy nat-prerouting meta l4proto tcp dnat to 10.0.0.1:80 comment "to a"
            add element ip sy affinity { 1.2.3.4 . 10.96.0.1 timeout 30s : 10.0.0.1 . 80 }
            delete rule ip sy nat-prerouting handle 4
            flush set ip sy affinity

            """)
    }

    @Test("statement forms render as nft writes them", arguments: [
        (Statement.markOr(0x4000), "meta mark set meta mark | 0x4000"),
        (.markXor(0x4000), "meta mark set meta mark ^ 0x4000"),
        (.match(.bitwise(.meta(.mark), .and, 0x4000), .equal, .value(.mark(0))), "meta mark & 0x4000 == 0x0"),
        (.match(.fib(.destinationType), .equal, .value(.addressType(.local))), "fib daddr type local"),
        (.ctState(.new, .established), "ct state established,new"),
        (.masquerade(fullyRandom: true), "masquerade fully-random"),
        (.reject(.tcpReset), "reject with tcp reset"),
        (.notInSet(.concat([.payload(.ipDaddr), .payload(.ipSaddr)]), "allow"), "ip daddr . ip saddr != @allow"),
        (.verdictMap(.concat([.meta(.l4proto), .payload(.thDport)]), map: "np"), "meta l4proto . th dport vmap @np"),
        (.dnat(.map(.concat([.payload(.ipDaddr), .jhash(.payload(.ipSaddr), modulus: 7, seed: 1)]), map: "m"), family: nil),
         "dnat to ip daddr . jhash ip saddr mod 7 seed 0x1 map @m"),
        (.setUpdate(.update, set: "aff", key: .payload(.ipSaddr), timeout: 60, data: nil), "update @aff { ip saddr timeout 60s }"),
        (.match(.numgen(.inc, modulus: 3, offset: 2), .equal, .value(.integer(2))), "numgen inc mod 3 offset 2 == 2"),
    ])
    func statements(statement: Statement, text: String) {
        #expect(statement.render(in: .ip) == text)
    }

    @Test("ip6 dnat to an address and port uses brackets")
    func ip6Dnat() {
        #expect(Statement.dnat(.address(Address("fd00::1")!, port: 80), family: nil).render(in: .ip6) == "dnat to [fd00::1]:80")
        #expect(Statement.dnat(.map(.payload(.ip6Daddr), map: "m"), family: .ip6).render(in: .inet) == "dnat ip6 to ip6 daddr map @m")
    }

    @Test("invalid names are refused when queued", arguments: ["", "9lives", "has space", "colon:name", String(repeating: "a", count: 256)])
    func badNames(name: String) {
        var tx = Transaction()
        #expect(throws: TransactionError.self) { try tx.add(.chain(Chain(TableRef(.ip, "sy"), name))) }
        #expect(tx.isEmpty)
    }

    @Test("a 255-character name is accepted")
    func longestName() throws {
        var tx = Transaction()
        try tx.add(.chain(Chain(table, String(repeating: "a", count: 255))))
        #expect(tx.count == 1)
    }

    @Test("element key arity must match the set's key")
    func arity() throws {
        var tx = Transaction()
        try tx.add(.set(NamedSet(table, "s", key: .types([.ipv4Address, .inetProto, .inetService]))))
        #expect(throws: TransactionError.keyArityMismatch(set: "s", expected: 3, found: 1, element: "1.2.3.4")) {
            try tx.add(.elements(Elements(table, "s", [Element([.address(Address("1.2.3.4")!)])])))
        }
    }

    @Test("arity is checked against the base ruleset too")
    func arityFromBase() throws {
        var base = Ruleset()
        base.add(NamedSet(table, "s", key: .types([.ipv4Address])))
        var tx = Transaction(base: base)
        #expect(throws: TransactionError.self) {
            try tx.add(.elements(Elements(table, "s", [Element([.address(Address("1.2.3.4")!), .port(1)])])))
        }
    }

    @Test("a map element needs data and a set element none")
    func mapData() throws {
        var tx = Transaction()
        try tx.add(.set(NamedSet(table, "m", key: .types([.ipv4Address]), data: .verdict)))
        #expect(throws: TransactionError.self) { try tx.add(.elements(Elements(table, "m", [Element([.address(Address("1.2.3.4")!)])]))) }
    }

    @Test("family mismatches are refused")
    func families() {
        var tx = Transaction()
        #expect(throws: TransactionError.familyMismatch(object: "rule ip sy c", table: .ip, expression: .ip6)) {
            try tx.add(.rule(Rule(table, "c", [.match(.payload(.ip6Daddr), .equal, .value(.address(Address("fd00::1")!)))])))
        }
        #expect(throws: TransactionError.self) {
            try tx.add(.elements(Elements(table, "s", [Element([.address(Address("fd00::1")!)])])))
        }
        #expect(throws: TransactionError.self) {
            try tx.add(.rule(Rule(TableRef(.inet, "x"), "c", [.dnat(.map(.payload(.ipDaddr), map: "m"), family: nil)])))
        }
    }

    @Test("verbs that do not apply are refused")
    func verbs() {
        var tx = Transaction()
        #expect(throws: TransactionError.self) { try tx.create(.rule(Rule(table, "c", [.counter]))) }
        #expect(throws: TransactionError.self) { try tx.replace(Rule(table, "c", [.counter])) }
        #expect(throws: TransactionError.self) { try tx.delete(.rule(Rule(table, "c", [.counter]))) }
        #expect(throws: TransactionError.self) { try tx.add(.chain(Chain(table, "bad", base: BaseChainSpec(type: .nat, hook: .forward, priority: .dstnat)))) }
        #expect(throws: TransactionError.self) { try tx.add(.rule(Rule(table, "c", [.dnat(.address(Address("10.0.0.1")!, port: 80), family: nil)]))) }
    }

    @Test("addresses parse and print canonically", arguments: [
        ("10.0.0.1", "10.0.0.1"), ("FD00:0:0::1", "fd00::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("::ffff:1.2.3.4", "::ffff:102:304"),
    ])
    func addresses(text: String, canonical: String) {
        #expect(Address(text)?.description == canonical)
    }
}
