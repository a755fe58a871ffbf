import Testing
@testable import SwitchyardNetlink
import SwitchyardTestSupport
import CSwitchyardNetfilter
import Foundation

@Suite("Netlink: listing and deleting Switchyard's tables in a test namespace",
       .enabled(if: TestNamespace.unavailableReason == nil, "skipped: \(TestNamespace.unavailableReason ?? "")"))
struct OwnedTablesTests {
    @Test("cleanup deletes exactly the switchyard tables of both families, and is safe twice")
    func cleanupDeletesOnlyOurs() async throws {
        try await TestNamespace.with("nl") { ns in
            try ns.runChecked(["nft", "-f", "-"], input: """
                add table ip switchyard
                add chain ip switchyard c
                add table ip6 switchyard
                add table inet switchyard
                add table ip other
                """)
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            #expect(try socket.listTables().map(\.description) == ["inet switchyard", "ip other", "ip switchyard", "ip6 switchyard"])
            let deleted = try socket.deleteTables(named: "switchyard")
            #expect(deleted.map(\.description) == ["ip switchyard", "ip6 switchyard"])
            #expect(try socket.listTables().map(\.description) == ["inet switchyard", "ip other"])
            #expect(try socket.deleteTables(named: "switchyard").isEmpty)
            let listed = try ns.runChecked(["nft", "list", "tables"])
            #expect(listed.contains("table ip other") && !listed.contains("table ip switchyard"))
        }
    }

    @Test("a refused operation is named, with its errno, and nothing of the batch is committed")
    func refusalNamesTheOperation() async throws {
        try await TestNamespace.with("nl") { ns in
            try ns.runChecked(["nft", "add", "table", "ip", "keep"])
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            let batch = socket.makeBatch()
            for name in ["keep", "missing"] {
                batch.append("delete table ip \(name)") { buffer, seq in
                    let table = nftnl_table_alloc()!
                    defer { nftnl_table_free(table) }
                    nftnl_table_set_str(table, UInt16(NFTNL_TABLE_NAME.rawValue), name)
                    let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_DELTABLE.rawValue), UInt16(NFPROTO_IPV4), 0, seq)
                    nftnl_table_nlmsg_build_payload(header, table)
                    return header
                }
            }
            do {
                try socket.commit(batch)
                Issue.record("deleting a missing table must fail")
            } catch let NetlinkError.rejected(operations) {
                #expect(operations.count == 1)
                #expect(operations.first?.operation == "delete table ip missing")
                #expect(operations.first?.description.hasPrefix("delete table ip missing: ENOENT") == true)
            }
            // Atomic: the table that could be deleted is still there.
            #expect(try socket.listTables().map(\.description) == ["ip keep"])
        }
    }

    @Test("the generation id moves when the ruleset changes")
    func generationMoves() async throws {
        try await TestNamespace.with("nl") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            let before = try socket.generation()
            try ns.runChecked(["nft", "add", "table", "ip", "switchyard"])
            #expect(try socket.generation() != before)
        }
    }

    @Test("an unknown namespace is a clear error")
    func unknownNamespace() {
        #expect {
            _ = try NetfilterSocket(namespace: .named("sy-does-not-exist"))
        } throws: { error in
            "\(error)".contains("cannot enter network namespace /var/run/netns/sy-does-not-exist")
        }
    }
}

@Suite("switchyard cleanup", .enabled(if: TestNamespace.unavailableReason == nil, "skipped: \(TestNamespace.unavailableReason ?? "")"))
struct CleanupCommandTests {
    @Test("the command deletes both families' tables in the given namespace and reports it; twice is fine")
    func cleanupCommand() async throws {
        try await TestNamespace.with("cleanup") { ns in
            try ns.runChecked(["nft", "-f", "-"], input: "add table ip switchyard\nadd table ip6 switchyard\nadd table ip keep\n")
            let first = try Shell.run([Shell.switchyardBinary, "cleanup", "--netns", ns.name])
            #expect(first.status == 0, "\(first.error)")
            #expect(first.output.contains("deleted table ip switchyard, table ip6 switchyard"))
            let second = try Shell.run([Shell.switchyardBinary, "cleanup", "--netns", ns.name])
            #expect(second.status == 0)
            #expect(second.output.contains("nothing to do"))
            #expect(try ns.runChecked(["nft", "list", "tables"]).trimmingCharacters(in: .whitespacesAndNewlines) == "table ip keep")
        }
    }
}
