import Testing
import Foundation
@testable import SwitchyardNetlink
import SwitchyardTestSupport

/// The oracle for the encoder: the same ruleset loaded by `nft -f` into one namespace and by
/// Switchyard's netlink batch into another must list identically (`nft list ruleset`), so an admin's
/// `nft` decompiles what Switchyard programs exactly as if nft had written it.
@Suite("Netlink encoding matches what nft itself programs",
       .enabled(if: TestNamespace.unavailableReason == nil, "skipped: \(TestNamespace.unavailableReason ?? "")"))
struct EncodingTests {
    static let table = "switchyard"
    static let family = KernelFamily.ip
    static let l4proto: UInt32 = 16
    static let mark: UInt32 = 3

    static let slots = KernelSet(
        family: family, table: table, name: "service-slots", flags: 0x8,
        keyType: (7 << 18) | (12 << 12) | (13 << 6) | 4, keyLength: 16,
        dataType: (7 << 6) | 13, dataLength: 8,
        userData: UserData.set(
            keyByteOrder: 0, dataByteOrder: 0,
            keyTypeof: .concat([.ipDaddr, .l4proto, .thDport, .numgen(incremental: false, modulus: 1)]),
            dataTypeof: .concat([.ipDaddr, .thDport]))
    )
    static let modulus2 = KernelSet(
        family: family, table: table, name: "svc-mod2", flags: 0,
        keyType: (7 << 12) | (12 << 6) | 13, keyLength: 12,
        userData: UserData.set(keyByteOrder: 0)
    )
    static let serviceIPs = KernelSet(
        family: family, table: table, name: "service-ips", flags: 0x8,
        keyType: (7 << 12) | (12 << 6) | 13, keyLength: 12,
        dataType: KernelSet.verdictDataType, dataLength: 0,
        userData: UserData.set(keyByteOrder: 0)
    )

    static func frontendKey(_ ip: [UInt8], proto: UInt8, port: UInt16) -> [UInt8] {
        ip + [proto, 0, 0, 0] + [UInt8(port >> 8), UInt8(port & 0xff), 0, 0]
    }

    /// Loads the concatenation `ip daddr . meta l4proto . th dport` into reg 1, 9, 10.
    static let frontend: [KernelExpression] = [
        .payload(base: .network, offset: 16, length: 4, into: .one),
        .meta(key: l4proto, into: .word(1)),
        .payload(base: .transport, offset: 2, length: 2, into: .word(2)),
    ]

    static var operations: [KernelOperation] {
        let nat = { (name: String, hook: UInt32, priority: Int32) in
            KernelChain(family: family, table: table, name: name, hook: .init(type: "nat", number: hook, priority: priority))
        }
        let preroute = nat("nat-prerouting", 0, -100)
        let postroute = nat("nat-postrouting", 4, 100)
        let forward = KernelChain(family: family, table: table, name: "filter-forward", hook: .init(type: "filter", number: 2, priority: -110))
        let reject = KernelChain(family: family, table: table, name: "reject-chain")
        let markChain = KernelChain(family: family, table: table, name: "mark-for-masquerade")
        let web = frontendKey([10, 96, 0, 20], proto: 6, port: 80)
        return [
            KernelOperation(.addTable(family, table), label: "add table ip switchyard"),
            KernelOperation(.addSet(slots), label: "add map service-slots"),
            KernelOperation(.addSet(modulus2), label: "add set svc-mod2"),
            KernelOperation(.addSet(serviceIPs), label: "add map service-ips"),
            KernelOperation(.addChain(reject), label: "add chain reject-chain"),
            KernelOperation(.addChain(markChain), label: "add chain mark-for-masquerade"),
            KernelOperation(.addChain(preroute), label: "add chain nat-prerouting"),
            KernelOperation(.addChain(postroute), label: "add chain nat-postrouting"),
            KernelOperation(.addChain(forward), label: "add chain filter-forward"),
            KernelOperation(.addRule(KernelRule(family: family, table: table, chain: "reject-chain", expressions: [.reject(tcpReset: false, family: family)])), label: "add rule"),
            KernelOperation(.addRule(KernelRule(family: family, table: table, chain: "mark-for-masquerade", expressions: [
                .meta(key: mark, into: .one),
                .bitwise(source: .one, into: .one, mask: [0xff, 0xbf, 0xff, 0xff], xor: [0x00, 0x40, 0x00, 0x00]),
                .metaSet(key: mark, from: .one),
            ])), label: "add rule"),
            KernelOperation(.addRule(KernelRule(family: family, table: table, chain: "nat-prerouting", expressions:
                frontend + [.lookup(set: "svc-mod2", source: .one, into: nil, inverted: false)]
                + frontend + [
                    .numgen(into: .word(3), modulus: 2, incremental: false),
                    .lookup(set: "service-slots", source: .one, into: .one, inverted: false),
                    .dnat(family: family, address: .one, port: .word(1)),
                ], comment: "endpoints of services with 2 endpoints")), label: "add rule"),
            KernelOperation(.addRule(KernelRule(family: family, table: table, chain: "nat-postrouting", expressions: [
                .meta(key: mark, into: .one),
                .bitwise(source: .one, into: .one, mask: [0x00, 0x40, 0x00, 0x00], xor: [0, 0, 0, 0]),
                .cmp(.eq, .one, [0, 0, 0, 0]),
                .verdict(.return),
            ])), label: "add rule"),
            KernelOperation(.addRule(KernelRule(family: family, table: table, chain: "nat-postrouting", expressions: [
                .meta(key: mark, into: .one),
                .bitwise(source: .one, into: .one, mask: [0xff, 0xff, 0xff, 0xff], xor: [0x00, 0x40, 0x00, 0x00]),
                .metaSet(key: mark, from: .one),
            ])), label: "add rule"),
            KernelOperation(.addRule(KernelRule(family: family, table: table, chain: "nat-postrouting", expressions: [.masquerade(fullyRandom: true)])), label: "add rule"),
            KernelOperation(.addRule(KernelRule(family: family, table: table, chain: "filter-forward", expressions:
                frontend + [.lookup(set: "service-ips", source: .one, into: .verdict, inverted: false)])), label: "add rule"),
            KernelOperation(.addElements(modulus2, [KernelElement(key: web)], labels: ["default/web:http"]), label: "add element to set svc-mod2"),
            KernelOperation(.addElements(slots, [
                KernelElement(key: web + [0, 0, 0, 0], value: .data([10, 244, 0, 10, 0x1f, 0x90, 0, 0])),
                KernelElement(key: web + [1, 0, 0, 0], value: .data([10, 244, 0, 11, 0x1f, 0x90, 0, 0])),
            ], labels: ["default/web:http slot 0", "default/web:http slot 1"]), label: "add element to map service-slots"),
            KernelOperation(.addElements(serviceIPs, [KernelElement(key: frontendKey([10, 96, 0, 99], proto: 17, port: 53), value: .verdict(.goto("reject-chain")))], labels: ["default/empty:dns"]), label: "add element to map service-ips"),
        ]
    }

    static let nftText = """
        table ip switchyard {
        \tmap service-slots {
        \t\ttypeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport
        \t\telements = { 10.96.0.20 . tcp . 80 . 0 : 10.244.0.10 . 8080, 10.96.0.20 . tcp . 80 . 1 : 10.244.0.11 . 8080 }
        \t}
        \tset svc-mod2 {
        \t\ttype ipv4_addr . inet_proto . inet_service
        \t\telements = { 10.96.0.20 . tcp . 80 }
        \t}
        \tmap service-ips {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\telements = { 10.96.0.99 . udp . 53 : goto reject-chain }
        \t}
        \tchain reject-chain {
        \t\treject
        \t}
        \tchain mark-for-masquerade {
        \t\tmeta mark set meta mark or 0x00004000
        \t}
        \tchain nat-prerouting {
        \t\ttype nat hook prerouting priority dstnat; policy accept;
        \t\tip daddr . meta l4proto . th dport @svc-mod2 dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @service-slots comment "endpoints of services with 2 endpoints"
        \t}
        \tchain nat-postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\tmeta mark & 0x00004000 == 0x00000000 return
        \t\tmeta mark set meta mark xor 0x00004000
        \t\tmasquerade fully-random
        \t}
        \tchain filter-forward {
        \t\ttype filter hook forward priority -110; policy accept;
        \t\tip daddr . meta l4proto . th dport vmap @service-ips
        \t}
        }

        """

    @Test("a ruleset with typeof maps, concatenated sets, verdict maps, numgen, dnat, marks and masquerade lists as nft's own")
    func sameListingAsNft() async throws {
        try await TestNamespace.with("enc") { ours in
            try await TestNamespace.with("nft") { theirs in
                let socket = try NetfilterSocket(namespace: .named(ours.name))
                let summary = try socket.apply(Self.operations)
                #expect(summary.messages == Self.operations.count)
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("sy-enc-\(UUID().uuidString).nft")
                try Self.nftText.write(to: file, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: file) }
                try theirs.runChecked(["nft", "-f", file.path])
                let expected = try theirs.runChecked(["nft", "list", "ruleset"])
                let actual = try ours.runChecked(["nft", "list", "ruleset"])
                #expect(actual == expected)
            }
        }
    }

    @Test("a refused element is named by its own label, from the kernel's extended-ACK offset")
    func refusedElementIsNamed() async throws {
        try await TestNamespace.with("enc") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            try socket.apply(Array(Self.operations.prefix(3)))
            let key = { (n: UInt8) in Self.frontendKey([10, 96, 0, n], proto: 6, port: 80) }
            // The third element already exists (create semantics are not used, so the kernel refuses
            // only a duplicate within one message) — use a key of the wrong length instead.
            let elements = [KernelElement(key: key(1)), KernelElement(key: key(2)), KernelElement(key: [1, 2, 3])]
            do {
                try socket.apply([KernelOperation(.addElements(Self.modulus2, elements, labels: ["ns/a:p", "ns/b:p", "ns/bad:p"]), label: "add element to set svc-mod2")])
                Issue.record("a key of the wrong length must be refused")
            } catch let NetlinkError.rejected(refused) {
                #expect(refused.count == 1)
                #expect(refused.first?.operation == "add element to set svc-mod2 ns/bad:p")
                #expect(refused.first?.errno == EINVAL)
            }
            let listed = try ns.runChecked(["nft", "list", "set", "ip", "switchyard", "svc-mod2"])
            #expect(!listed.contains("10.96.0.1 "), "nothing of the refused batch is committed")
        }
    }
}
