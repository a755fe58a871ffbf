import Testing
import CSwitchyardNetfilter
import Foundation
@testable import SwitchyardNetlink
import SwitchyardTestSupport

@Suite("Batches: generation guard and size",
       .enabled(if: TestNamespace.unavailableReason == nil, "skipped: \(TestNamespace.unavailableReason ?? "")"))
struct BatchLimitsTests {
    static let set = KernelSet(family: .ip, table: "switchyard", name: "addresses", flags: 0, keyType: 7, keyLength: 4,
                               userData: UserData.set(keyByteOrder: 2))

    @Test("a batch computed against an old generation is refused whole, and a fresh one commits")
    func staleGenerationIsRefused() async throws {
        try await TestNamespace.with("gen") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            let generation = try socket.generation()
            try ns.runChecked(["nft", "add", "table", "ip", "other"]) // someone else changes the ruleset
            let create = [KernelOperation(.addTable(.ip, "switchyard"), label: "add table ip switchyard")]
            #expect(throws: NetlinkError.self) { try socket.apply(create, expectedGeneration: generation) }
            #expect(!(try socket.listTables().contains { $0.name == "switchyard" }), "nothing was committed")
            try socket.apply(create, expectedGeneration: try socket.generation())
            #expect(try socket.listTables().contains { $0.name == "switchyard" })
        }
    }

    @Test("an operation whose message cannot be built fails the commit naming it, and nothing is sent")
    func unencodableOperationIsNamed() async throws {
        try await TestNamespace.with("enc") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            let batch = socket.makeBatch()
            batch.append("add table ip switchyard") { buffer, seq in
                nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_NEWTABLE.rawValue), UInt16(NFPROTO_IPV4), UInt16(NLM_F_CREATE), seq)
            }
            batch.append("add chain ip switchyard services") { _, _ in nil } // as when libnftnl cannot allocate
            #expect {
                try socket.commit(batch)
            } throws: { error in
                guard case NetlinkError.unencodable(let operations) = error else { return false }
                return operations == ["add chain ip switchyard services"]
            }
            #expect(try socket.listTables().isEmpty, "nothing was sent")
        }
    }

    @Test("one transaction of more than 100,000 messages commits atomically")
    func hugeBatch() async throws {
        try await TestNamespace.with("big") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            var operations = [KernelOperation(.addTable(.ip, "switchyard"), label: "add table"),
                              KernelOperation(.addSet(Self.set), label: "add set")]
            // One element per message, so the batch really has 100k+ messages (about 10 MB).
            for index in 0..<100_500 {
                let key: [UInt8] = [10, UInt8(index >> 16), UInt8((index >> 8) & 0xff), UInt8(index & 0xff)]
                operations.append(KernelOperation(.addElements(Self.set, [KernelElement(key: key)], labels: ["e\(index)"]), label: "add element"))
            }
            let summary = try socket.apply(operations)
            #expect(summary.messages == operations.count)
            let listed = try socket.list(family: .ip, table: "switchyard")
            #expect(listed.elements["addresses"]?.count == 100_500)
        }
    }
}
