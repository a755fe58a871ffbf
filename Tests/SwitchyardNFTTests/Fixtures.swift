@testable import SwitchyardNFT

/// A small flat-slot ruleset in the DESIGN.md layout: one ClusterIP with two endpoints, masquerade by mark.
enum Fixture {
    static let table = TableRef(.ip, "sy")
    static let vip = Address("10.96.0.10")!
    static let podA = Address("10.244.1.5")!
    static let podB = Address("10.244.2.7")!
    static let node = Address("192.168.1.10")!
    static let environment = TraceEnvironment(localAddresses: [node])

    static var frontendKey: Expression { .concat([.payload(.ipDaddr), .meta(.l4proto), .payload(.thDport)]) }

    static func transaction(endpoints: [Address] = [podA, podB]) throws -> Transaction {
        var tx = Transaction()
        try tx.add(.table(Table(table)))
        try tx.add(.chain(Chain(table, "nat-prerouting", base: BaseChainSpec(type: .nat, hook: .prerouting, priority: .dstnat))))
        try tx.add(.chain(Chain(table, "nat-output", base: BaseChainSpec(type: .nat, hook: .output, priority: .dstnat))))
        try tx.add(.chain(Chain(table, "nat-postrouting", base: BaseChainSpec(type: .nat, hook: .postrouting, priority: .srcnat))))
        try tx.add(.chain(Chain(table, "filter-forward", base: BaseChainSpec(type: .filter, hook: .forward, priority: .dstnat - 10))))
        try tx.add(.chain(Chain(table, "services")))
        try tx.add(.chain(Chain(table, "masquerading")))
        try tx.add(.chain(Chain(table, "reject-chain")))
        try tx.add(.set(NamedSet(table, "cluster-ips", key: .types([.ipv4Address]))))
        try tx.add(.set(NamedSet(table, "mod-2", key: .types([.ipv4Address, .inetProto, .inetService]))))
        try tx.add(.set(NamedSet(table, "service-slots",
                                 key: .typeOf([.payload(.ipDaddr), .meta(.l4proto), .payload(.tcpDport), .numgen(.random, modulus: 1)]),
                                 data: .data(.typeOf([.payload(.ipDaddr), .payload(.tcpDport)])))))
        try tx.add(.rule(Rule(table, "nat-prerouting", [.jump("services")])))
        try tx.add(.rule(Rule(table, "nat-output", [.jump("services")])))
        try tx.add(.rule(Rule(table, "nat-postrouting", [.jump("masquerading")])))
        try tx.add(.rule(Rule(table, "services", [
            .match(.payload(.ipDaddr), .equal, .value(.address(vip))),
            .match(.payload(.ipSaddr), .notEqual, .anonymousSet([.prefix(Prefix("10.244.0.0/16")!)])),
            .markOr(0x4000),
        ], comment: "masquerade off-cluster clients")))
        try tx.add(.rule(Rule(table, "services", [
            .inSet(frontendKey, "mod-2"),
            .dnat(.map(.concat([.payload(.ipDaddr), .meta(.l4proto), .payload(.thDport), .numgen(.random, modulus: 2)]), map: "service-slots"), family: nil),
        ])))
        try tx.add(.rule(Rule(table, "reject-chain", [.reject(.tcpReset)])))
        try tx.add(.rule(Rule(table, "reject-chain", [.reject(.portUnreachable)])))
        try tx.add(.rule(Rule(table, "filter-forward", [.ctState(.new), .inSet(.payload(.ipDaddr), "cluster-ips"), .goto("reject-chain")])))
        try tx.add(.rule(Rule(table, "masquerading", [.match(.bitwise(.meta(.mark), .and, 0x4000), .equal, .value(.mark(0))), .verdict(.return)])))
        try tx.add(.rule(Rule(table, "masquerading", [.markXor(0x4000)])))
        try tx.add(.rule(Rule(table, "masquerading", [.masquerade(fullyRandom: true)])))
        try tx.add(.elements(Elements(table, "cluster-ips", [Element([.address(vip)])])))
        if !endpoints.isEmpty {
            try tx.add(.elements(Elements(table, "mod-2", [Element([.address(vip), .proto(.tcp), .port(80)])])))
            try tx.add(.elements(Elements(table, "service-slots", endpoints.enumerated().map { slot, address in
                Element([.address(vip), .proto(.tcp), .port(80), .integer(UInt32(slot))], .values([.address(address), .port(8080)]))
            })))
        }
        return tx
    }

    static func fake() throws -> FakeNetfilter {
        var fake = FakeNetfilter()
        try fake.apply(try transaction())
        return fake
    }
}
