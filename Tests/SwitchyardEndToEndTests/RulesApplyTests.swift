import Foundation
import Testing
import SwitchyardTestSupport

/// `switchyard rules … --apply --netns X` programs over netlink exactly what `switchyard rules …`
/// prints: the text loaded by nft into one namespace and the netlink batch into another list the same.
@Suite("switchyard rules --apply", .enabled(if: endToEndUnavailable == nil, "skipped: \(endToEndUnavailable ?? "")"))
struct RulesApplyTests {
    static let cluster = ExampleCluster.root.appendingPathComponent("examples/cluster").path

    @Test("the programmed ruleset lists exactly as the printed one does, for every dispatch model",
          arguments: ["random", "roundrobin", "sourcehash", "maglev", "chains"])
    func applyMatchesPrintedText(dispatch: String) async throws {
        let flags = ["--cluster-cidr", "10.244.0.0/16,fd00:10:244::/56", "--dispatch", dispatch]
        let printed = try Shell.run([Shell.switchyardBinary, "rules", Self.cluster] + flags)
        #expect(printed.status == 0, "\(printed.error)")
        try await TestNamespace.with("apply") { ours in
            try await TestNamespace.with("text") { theirs in
                try theirs.runChecked(["nft", "-f", "-"], input: printed.output)
                let applied = try Shell.run([Shell.switchyardBinary, "rules", Self.cluster, "--apply", "--netns", ours.name] + flags)
                #expect(applied.status == 0, "\(applied.error)")
                #expect(applied.output.contains("objects added"), "\(applied.output)")
                #expect(try ours.runChecked(["nft", "-n", "list", "ruleset"]) == theirs.runChecked(["nft", "-n", "list", "ruleset"]))
                let again = try Shell.run([Shell.switchyardBinary, "rules", Self.cluster, "--apply", "--netns", ours.name] + flags)
                #expect(again.output.contains("already up to date, nothing sent"), "\(again.output)")
            }
        }
    }

    @Test("--netns without --apply is refused with a reason")
    func netnsNeedsApply() throws {
        let result = try Shell.run([Shell.switchyardBinary, "rules", Self.cluster, "--netns", "x"])
        #expect(result.status != 0)
        #expect(result.error.contains("--netns needs --apply"))
    }
}
