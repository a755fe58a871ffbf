import Testing
@testable import SwitchyardNFT

@Suite("FakeNetfilter: atomic apply and kernel errors")
struct FakeNetfilterTests {
    let table = Fixture.table

    @Test("applying the fixture yields the canonical dump")
    func dump() throws {
        var fake = FakeNetfilter()
        var tx = Transaction()
        try tx.add(.table(Table(table)))
        try tx.add(.chain(Chain(table, "services")))
        try tx.add(.chain(Chain(table, "nat-output", base: BaseChainSpec(type: .nat, hook: .output, priority: .dstnat))))
        try tx.add(.set(NamedSet(table, "ips", key: .types([.ipv4Address]))))
        try tx.add(.rule(Rule(table, "nat-output", [.jump("services")])))
        try tx.add(.elements(Elements(table, "ips", [Element([.address(Address("10.0.0.2")!)]), Element([.address(Address("10.0.0.1")!)])])))
        try fake.apply(tx)
        #expect(fake.dump() == """
            table ip sy {
            \tset ips {
            \t\ttype ipv4_addr
            \t\telements = { 10.0.0.1,
            \t\t\t     10.0.0.2 }
            \t}

            \tchain nat-output {
            \t\ttype nat hook output priority -100; policy accept;
            \t\tjump services
            \t}

            \tchain services {
            \t}
            }

            """)
        #expect(fake.ruleset.chain(table, "nat-output")?.rules.first?.handle == 1)
    }

    @Test("a failing operation leaves the state untouched and is named")
    func atomic() throws {
        var fake = try Fixture.fake()
        let before = fake.ruleset
        var tx = Transaction()
        try tx.add(.elements(Elements(table, "cluster-ips", [Element([.address(Address("10.96.0.99")!)])])))
        try tx.delete(.chain(Chain(table, "no-such-chain")))
        do {
            try fake.apply(tx)
            Issue.record("expected ENOENT")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.operationIndex == 1)
            #expect(error.operation == "delete chain ip sy no-such-chain")
        }
        #expect(fake.ruleset == before)
    }

    @Test("create of an existing object is EEXIST, add is not")
    func exists() throws {
        var fake = try Fixture.fake()
        var add = Transaction()
        try add.add(.table(Table(table)))
        try add.add(.elements(Elements(table, "cluster-ips", [Element([.address(Fixture.vip)])])))
        try fake.apply(add)
        var create = Transaction()
        try create.create(.table(Table(table)))
        #expect(throws: NetfilterError.self) { try fake.apply(create) }
        var element = Transaction()
        try element.create(.elements(Elements(table, "cluster-ips", [Element([.address(Fixture.vip)])])))
        do { try fake.apply(element); Issue.record("expected EEXIST") } catch { #expect(error.code == .exists) }
    }

    @Test("a chain still jumped to cannot be deleted (EBUSY)")
    func busy() throws {
        var fake = try Fixture.fake()
        var tx = Transaction()
        try tx.delete(.chain(Chain(table, "services")))
        do { try fake.apply(tx); Issue.record("expected EBUSY") } catch { #expect(error.code == .busy) }
        var setTx = Transaction()
        try setTx.delete(.set(NamedSet(table, "cluster-ips", key: .types([.ipv4Address]))))
        do { try fake.apply(setTx); Issue.record("expected EBUSY") } catch { #expect(error.code == .busy) }
    }

    @Test("a verdict-map element pointing at a chain keeps it busy; missing targets are ENOENT")
    func verdictMaps() throws {
        var fake = try Fixture.fake()
        var tx = Transaction()
        try tx.add(.set(NamedSet(table, "chains", key: .types([.ipv4Address]), data: .verdict)))
        try tx.add(.chain(Chain(table, "svc")))
        try tx.add(.elements(Elements(table, "chains", [Element([.address(Fixture.vip)], .verdict(.goto("svc")))])))
        try fake.apply(tx)
        var delete = Transaction()
        try delete.delete(.chain(Chain(table, "svc")))
        #expect(throws: NetfilterError.self) { try fake.apply(delete) }
        var missing = Transaction()
        try missing.add(.elements(Elements(table, "chains", [Element([.address(Fixture.podA)], .verdict(.jump("nowhere")))])))
        do { try fake.apply(missing); Issue.record("expected ENOENT") } catch { #expect(error.code == .notFound) }
    }

    @Test("add of an existing element with other data is EBUSY")
    func changedData() throws {
        var fake = try Fixture.fake()
        var tx = Transaction()
        try tx.add(.elements(Elements(table, "service-slots", [
            Element([.address(Fixture.vip), .proto(.tcp), .port(80), .integer(0)], .values([.address(Fixture.node), .port(1)])),
        ])))
        do { try fake.apply(tx); Issue.record("expected EBUSY") } catch { #expect(error.code == .busy) }
    }

    @Test("rules: insert, replace and delete by handle")
    func handles() throws {
        var fake = try Fixture.fake()
        let handle = try #require(fake.ruleset.chain(table, "reject-chain")?.rules.first?.handle)
        var tx = Transaction()
        try tx.insert(Rule(table, "reject-chain", [.counter]))
        try tx.replace(Rule(table, "reject-chain", [.verdict(.drop)], handle: handle))
        try fake.apply(tx)
        let rules = try #require(fake.ruleset.chain(table, "reject-chain")?.rules)
        #expect(rules.map(\.body) == ["counter", "drop", "reject"])
        var delete = Transaction()
        try delete.delete(.rule(Rule(table, "reject-chain", [], handle: handle)))
        try fake.apply(delete)
        #expect(fake.ruleset.chain(table, "reject-chain")?.rules.map(\.body) == ["counter", "reject"])
        var gone = Transaction()
        try gone.delete(.rule(Rule(table, "reject-chain", [], handle: handle)))
        #expect(throws: NetfilterError.self) { try fake.apply(gone) }
    }

    @Test("flush empties chains and sets; delete table removes everything")
    func flushAndDelete() throws {
        var fake = try Fixture.fake()
        var tx = Transaction()
        try tx.flush(.set(NamedSet(table, "service-slots", key: .types([.ipv4Address]))))
        try tx.flush(.chain(Chain(table, "services")))
        try fake.apply(tx)
        #expect(fake.ruleset.set(table, "service-slots")?.elements.isEmpty == true)
        #expect(fake.ruleset.chain(table, "services")?.rules.isEmpty == true)
        var delete = Transaction()
        try delete.delete(.table(Table(table)))
        try fake.apply(delete)
        #expect(fake.dump().isEmpty)
    }
}
