import Testing
import Foundation
import SwitchyardNFT
@testable import SwitchyardNetlink
import SwitchyardTestSupport

/// The typed model's `nft -f` text loaded by nft, and the same transaction lowered and sent over
/// netlink, must list identically: one oracle for the renderer and the encoder at once.
@Suite("Lowering the typed model gives what nft gives for its text",
       .enabled(if: TestNamespace.unavailableReason == nil, "skipped: \(TestNamespace.unavailableReason ?? "")"))
struct LoweringTests {
    static func transaction(_ family: Family) throws -> Transaction {
        let table = TableRef(family, "switchyard")
        let v6 = family == .ip6
        let daddr: SwitchyardNFT.Expression = v6 ? .payload(.ip6Daddr) : .payload(.ipDaddr)
        let saddr: SwitchyardNFT.Expression = v6 ? .payload(.ip6Saddr) : .payload(.ipSaddr)
        let addressType: DataType = v6 ? .ipv6Address : .ipv4Address
        let vip = Address(v6 ? "fd00:10:96::14" : "10.96.0.20")!
        let pod = { (n: Int) in Address(v6 ? "fd00:10:244::\(n)" : "10.244.0.\(n)")! }
        let podPrefix = Prefix(v6 ? "fd00:10:244::/56" : "10.244.0.0/16")!
        let oddPrefix = Prefix(v6 ? "fd00:10:240::/44" : "10.240.0.0/12")!
        let loopback = Prefix(v6 ? "::1/128" : "127.0.0.0/8")!
        let frontend = SwitchyardNFT.Expression.concat([daddr, .meta(.l4proto), .payload(.thDport)])

        var tx = Transaction()
        try tx.add(.table(Table(table)))
        let chains: [Chain] = [
            Chain(table, "nat-prerouting", base: BaseChainSpec(type: .nat, hook: .prerouting, priority: .dstnat)),
            Chain(table, "nat-output", base: BaseChainSpec(type: .nat, hook: .output, priority: .dstnat)),
            Chain(table, "nat-postrouting", base: BaseChainSpec(type: .nat, hook: .postrouting, priority: .srcnat)),
            Chain(table, "filter-input", base: BaseChainSpec(type: .filter, hook: .input, priority: .dstnat - 10)),
            Chain(table, "filter-forward", base: BaseChainSpec(type: .filter, hook: .forward, priority: .dstnat - 10)),
            Chain(table, "services"),
            Chain(table, "reject-chain"),
            Chain(table, "mark-for-masquerade"),
        ]
        for chain in chains { try tx.add(.chain(chain)) }
        let sets: [NamedSet] = [
            NamedSet(table, "service-slots", key: .typeOf([daddr, .meta(.l4proto), .payload(.thDport), .numgen(.random, modulus: 1)]),
                     data: .data(.typeOf([daddr, .payload(.thDport)]))),
            NamedSet(table, "services-mod2", key: .types([addressType, .inetProto, .inetService])),
            NamedSet(table, "service-ips", key: .types([addressType, .inetProto, .inetService]), data: .verdict),
            NamedSet(table, "nodeports", key: .types([.inetProto, .inetService]), data: .verdict),
            NamedSet(table, "cluster-ips", key: .types([addressType])),
            NamedSet(table, "hairpin", key: .types([addressType, addressType])),
            NamedSet(table, "pod-cidrs", key: .types([addressType]), flags: [.interval]),
            NamedSet(table, "allowed-sources", key: .types([addressType, .inetProto, .inetService, addressType]), flags: [.interval]),
            NamedSet(table, "affinity", key: .typeOf([saddr, daddr, .meta(.l4proto), .payload(.thDport)]),
                     flags: [.dynamic, .timeout], timeout: 10800),
        ]
        for set in sets { try tx.add(.set(set)) }
        let rules: [Rule] = [
            Rule(table, "reject-chain", [.reject(.portUnreachable)]),
            Rule(table, "mark-for-masquerade", [.markOr(0x4000)]),
            Rule(table, "nat-prerouting", [.jump("services")]),
            Rule(table, "nat-output", [.jump("services")]),
            Rule(table, "services", [.inSet(frontend, "services-mod2"),
                                     .dnat(.map(.concat([daddr, .meta(.l4proto), .payload(.thDport), .numgen(.random, modulus: 2)]), map: "service-slots"), family: nil)],
                 comment: "services with 2 endpoints"),
            Rule(table, "services", [.setUpdate(.update, set: "affinity", key: .concat([saddr, daddr, .meta(.l4proto), .payload(.thDport)]), timeout: 10800, data: nil)]),
            Rule(table, "services", [.match(.fib(.destinationType), .equal, .value(.addressType(.local))),
                                     .match(daddr, .notEqual, .value(.prefix(loopback))),
                                     .verdictMap(.concat([.meta(.l4proto), .payload(.thDport)]), map: "nodeports")]),
            Rule(table, "services", [.verdictMap(frontend, map: "service-ips")]),
            Rule(table, "services", [.match(saddr, .notEqual, .value(.prefix(podPrefix))), .jump("mark-for-masquerade")]),
            Rule(table, "services", [.match(saddr, .equal, .value(.prefix(oddPrefix))), .counter, .verdict(.return)]),
            Rule(table, "services", [.dnat(.map(.concat([daddr, .meta(.l4proto), .payload(.thDport), .jhash(saddr, modulus: 3, seed: 0)]), map: "service-slots"), family: nil)]),
            Rule(table, "filter-input", [.ctState(.new), .inSet(daddr, "cluster-ips"), .reject(.tcpReset)]),
            Rule(table, "filter-forward", [.ctState(.new), .match(saddr, .equal, .value(.address(pod(5)))), .verdict(.drop)]),
            Rule(table, "nat-postrouting", [.match(.bitwise(.meta(.mark), .and, 0x4000), .equal, .value(.mark(0))), .verdict(.return)]),
            Rule(table, "nat-postrouting", [.match(.ct(.status), .equal, .value(.ctStatus([.dnat]))), .inSet(.concat([saddr, daddr]), "hairpin"), .markOr(0x4000)]),
            Rule(table, "nat-postrouting", [.markXor(0x4000)]),
            Rule(table, "nat-postrouting", [.masquerade(fullyRandom: true)]),
        ]
        for rule in rules { try tx.add(.rule(rule)) }
        try tx.add(.elements(Elements(table, "services-mod2", [Element([.address(vip), .proto(.tcp), .port(80)])])))
        try tx.add(.elements(Elements(table, "service-slots", [
            Element([.address(vip), .proto(.tcp), .port(80), .integer(0)], .values([.address(pod(10)), .port(8080)])),
            Element([.address(vip), .proto(.tcp), .port(80), .integer(1)], .values([.address(pod(11)), .port(8080)])),
        ])))
        try tx.add(.elements(Elements(table, "service-ips", [Element([.address(vip), .proto(.udp), .port(53)], .verdict(.goto("reject-chain")))])))
        try tx.add(.elements(Elements(table, "nodeports", [Element([.proto(.tcp), .port(30080)], .verdict(.goto("reject-chain")))])))
        try tx.add(.elements(Elements(table, "cluster-ips", [Element([.address(vip)])])))
        try tx.add(.elements(Elements(table, "pod-cidrs", [Element([.prefix(podPrefix)]), Element([.prefix(loopback)])])))
        try tx.add(.elements(Elements(table, "allowed-sources", [
            Element([.address(vip), .proto(.tcp), .port(80), .prefix(oddPrefix)]),
            Element([.address(vip), .proto(.tcp), .port(443), .address(pod(7))]),
        ])))
        return tx
    }

    @Test("every statement form the compiler uses lists identically", arguments: [Family.ip, .ip6])
    func sameAsNft(family: Family) async throws {
        let tx = try Self.transaction(family)
        try await TestNamespace.with("low") { ours in
            try await TestNamespace.with("nft") { theirs in
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("sy-low-\(UUID().uuidString).nft")
                try tx.render().write(to: file, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: file) }
                try theirs.runChecked(["nft", "-f", file.path])
                let socket = try NetfilterSocket(namespace: .named(ours.name))
                try socket.apply(try Lowering.operations(tx))
                let expected = try theirs.runChecked(["nft", "list", "ruleset"])
                let actual = try ours.runChecked(["nft", "list", "ruleset"])
                #expect(actual == expected)
                if actual != expected {
                    let a = actual.split(separator: "\n"), e = expected.split(separator: "\n")
                    for (x, y) in zip(a, e) where x != y { Issue.record("ours:   \(x)\nnft's:  \(y)") }
                }
            }
        }
    }

    @Test("the lowered ruleset equals the kernel's listing of it, so reconciling sends nothing", arguments: [Family.ip, .ip6])
    func reconcileRoundTrip(family: Family) async throws {
        let tx = try Self.transaction(family)
        var fake = FakeNetfilter()
        try fake.apply(tx)
        let wanted = try Lowering.kernelRuleset(fake.ruleset, table: TableRef(family, "switchyard"))
        try await TestNamespace.with("low") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            try socket.apply(Reconciler.operations(from: KernelRuleset(family: wanted.family, table: wanted.table, exists: false), to: wanted))
            let listed = try socket.list(family: wanted.family, table: wanted.table)
            let repair = Reconciler.operations(from: listed, to: wanted)
            #expect(repair.isEmpty, "\(repair.map(\.label))")
            for (chain, rules) in wanted.rules {
                for (mine, theirs) in zip(rules, listed.rules[chain] ?? []) where mine.expressions != theirs.expressions {
                    for (a, b) in zip(mine.expressions, theirs.expressions) where a != b {
                        Issue.record("\(chain): lowered \(a) but the kernel lists \(b)")
                    }
                }
            }
        }
    }
}
