import Testing
import Foundation
@testable import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardTestSupport

/// The wanted ruleset of `EncodingTests`, as one `KernelRuleset` value.
func encodingTestRuleset() -> KernelRuleset {
    var ruleset = KernelRuleset(family: EncodingTests.family, table: EncodingTests.table)
    for operation in EncodingTests.operations {
        switch operation.kind {
        case .addChain(let chain): ruleset.chains[chain.name] = chain
        case .addSet(let set): ruleset.sets[set.name] = set
        case .addRule(let rule): ruleset.rules[rule.chain, default: []].append(rule)
        case .addElements(let set, let elements, _): ruleset.elements[set.name, default: []] += elements
        default: break
        }
    }
    return ruleset
}

@Suite("Reconciling against what the kernel has",
       .enabled(if: TestNamespace.unavailableReason == nil, "skipped: \(TestNamespace.unavailableReason ?? "")"))
struct ReconcilerTests {
    @Test("a table read back equals what was programmed, so a restart sends nothing")
    func readBackIsIdentity() async throws {
        try await TestNamespace.with("rec") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            let wanted = encodingTestRuleset()
            try socket.apply(Reconciler.operations(from: KernelRuleset(family: .ip, table: "switchyard", exists: false), to: wanted))
            var listed = try socket.list(family: .ip, table: "switchyard")
            #expect(listed.chains == wanted.chains)
            #expect(listed.sets == wanted.sets)
            for (chain, rules) in listed.rules {
                #expect(rules.map(\.expressions) == (wanted.rules[chain] ?? []).map(\.expressions), "rules of \(chain)")
            }
            #expect(Reconciler.operations(from: listed, to: wanted).isEmpty)
            listed = try socket.list(family: .ip, table: "absent")
            #expect(!listed.exists)
        }
    }

    @Test("the ruleset generation tells whether anyone else committed since our last write")
    func generationDetectsDrift() async throws {
        try await TestNamespace.with("gen") { ns in
            let programmer = try NetfilterProgrammer(namespace: .named(ns.name))
            #expect(try !programmer.isUntouchedSinceLastCommit(), "unknown before the first write")
            var transaction = Transaction()
            try transaction.add(.table(Table(TableRef(.ip, "switchyard"))))
            try programmer.commit(transaction)
            #expect(try programmer.isUntouchedSinceLastCommit())
            #expect(try programmer.isUntouchedSinceLastCommit(), "asking changes nothing")
            // Another program commits (to any table): the next resync must read back.
            try ns.runChecked(["nft", "add", "table", "inet", "someone-else"])
            #expect(try !programmer.isUntouchedSinceLastCommit())
            var wanted = Ruleset()
            wanted.add(Table(TableRef(.ip, "switchyard")))
            let summary = try programmer.reconcile(to: wanted, tables: [TableRef(.ip, "switchyard")])
            #expect(summary.operations == 0)
            #expect(try programmer.isUntouchedSinceLastCommit(), "a reconciliation that found nothing to do adopts the generation")
        }
    }

    @Test("after a read-back, only commits by others that name our tables call for another one")
    func eventsTellWhoseTablesChanged() async throws {
        try await TestNamespace.with("gen") { ns in
            let programmer = try NetfilterProgrammer(namespace: .named(ns.name), followingEvents: true)
            #expect(programmer.followsEvents)
            var wanted = Ruleset()
            wanted.add(Table(TableRef(.ip, "switchyard")))
            wanted.add(Chain(TableRef(.ip, "switchyard"), "services"))
            let tables = [TableRef(.ip, "switchyard")]
            #expect(try programmer.reconcile(to: wanted, tables: tables).operations == 2)
            // Other programs commit to their own tables: the generation moves, our tables did not.
            try ns.runChecked(["nft", "add", "table", "inet", "someone-else"])
            try ns.runChecked(["nft", "add", "chain", "inet", "someone-else", "input"])
            #expect(try programmer.isUntouchedSinceLastCommit())
            // Our own commits in between are accounted for too.
            var transaction = Transaction()
            try transaction.add(.chain(Chain(TableRef(.ip, "switchyard"), "extra")))
            try programmer.commit(transaction)
            try ns.runChecked(["nft", "add", "table", "ip", "another"])
            #expect(try programmer.isUntouchedSinceLastCommit())
            // A foreign commit just before ours is read before ours is counted.
            try ns.runChecked(["nft", "add", "table", "ip", "yet-another"])
            transaction = Transaction()
            try transaction.add(.chain(Chain(TableRef(.ip, "switchyard"), "extra-2")))
            try programmer.commit(transaction)
            #expect(try programmer.isUntouchedSinceLastCommit())
            // Someone edits our table (even in the same commit as their own): read back.
            try ns.runChecked(["nft", "-f", "-"], input: """
                add table ip another
                add chain ip switchyard stray
                """)
            #expect(try !programmer.isUntouchedSinceLastCommit())
            #expect(try !programmer.isUntouchedSinceLastCommit(), "until a read-back")
            let repair = try programmer.reconcile(to: wanted, tables: tables)
            #expect(repair.labels == ["delete chain ip switchyard extra", "delete chain ip switchyard extra-2", "delete chain ip switchyard stray"])
            try ns.runChecked(["nft", "add", "table", "ip6", "more"])
            #expect(try programmer.isUntouchedSinceLastCommit())
        }
    }

    @Test("drift is repaired with the few operations it takes, and traffic-relevant state matches again")
    func driftIsRepaired() async throws {
        try await TestNamespace.with("rec") { ns in
            let (socket, wanted, pristine) = try programEncodingTestTable(in: ns)
            // Someone flushes a chain, deletes an element, adds a stray element and a stray chain.
            try ns.runChecked(["nft", "-f", "-"], input: """
                flush chain ip switchyard nat-postrouting
                delete element ip switchyard service-slots { 10.96.0.20 . tcp . 80 . 1 }
                add element ip switchyard svc-mod2 { 10.96.0.77 . udp . 53 }
                add chain ip switchyard stray
                """)
            let drifted = try socket.list(family: .ip, table: "switchyard")
            let repair = Reconciler.operations(from: drifted, to: wanted)
            #expect(repair.map(\.label) == [
                "delete element from set svc-mod2", "delete chain ip switchyard stray",
                "add element to map service-slots", "add rule 1 to chain ip switchyard nat-postrouting",
                "add rule 2 to chain ip switchyard nat-postrouting", "add rule 3 to chain ip switchyard nat-postrouting",
            ])
            try socket.apply(repair)
            #expect(try ns.runChecked(["nft", "list", "ruleset"]) == pristine)
            #expect(Reconciler.operations(from: try socket.list(family: .ip, table: "switchyard"), to: wanted).isEmpty)
        }
    }

    @Test("a set too large to read back is flushed and refilled whole in the same transaction, and only it")
    func largeSetIsRewritten() async throws {
        try await TestNamespace.with("rec") { ns in
            let (socket, wanted, pristine) = try programEncodingTestTable(in: ns)
            try ns.runChecked(["nft", "-f", "-"], input: """
                delete element ip switchyard service-slots { 10.96.0.20 . tcp . 80 . 1 }
                add element ip switchyard svc-mod2 { 10.96.0.77 . udp . 53 }
                """)
            let listed = try socket.list(family: .ip, table: "switchyard", skippingElementsOf: ["service-slots"])
            #expect(listed.unreadElements == ["service-slots"])
            #expect(listed.elements["service-slots"] == nil)
            let repair = Reconciler.operations(from: listed, to: wanted)
            #expect(repair.map(\.label) == [
                "flush map service-slots (rewritten whole, not read back)", "delete element from set svc-mod2",
                "add element to map service-slots",
            ])
            try socket.apply(repair)
            #expect(try ns.runChecked(["nft", "list", "ruleset"]) == pristine)
            // The same rewrite again changes nothing the kernel lists.
            try socket.apply(Reconciler.operations(from: try socket.list(family: .ip, table: "switchyard", skippingElementsOf: ["service-slots"]), to: wanted))
            #expect(try ns.runChecked(["nft", "list", "ruleset"]) == pristine)
        }
    }
}

extension ReconcilerTests {
    /// Programs `encodingTestRuleset()` into `ns`; returns the socket, the wanted table and the
    /// kernel's listing of it as nft prints it.
    func programEncodingTestTable(in ns: TestNamespace) throws -> (NetfilterSocket, KernelRuleset, String) {
        let socket = try NetfilterSocket(namespace: .named(ns.name))
        let wanted = encodingTestRuleset()
        try socket.apply(Reconciler.operations(from: KernelRuleset(family: .ip, table: "switchyard", exists: false), to: wanted))
        return (socket, wanted, try ns.runChecked(["nft", "list", "ruleset"]))
    }
}

@Suite("Which sets a reconciliation reads back")
struct ReadBackLimitTests {
    @Test("only sets wanted with more elements than the read-back limit are rewritten unread")
    func setsToRewrite() {
        var wanted = KernelRuleset(family: .ip, table: "switchyard")
        wanted.elements["small"] = Array(repeating: KernelElement(key: [1]), count: Reconciler.readBackLimit)
        wanted.elements["large"] = Array(repeating: KernelElement(key: [1]), count: Reconciler.readBackLimit + 1)
        #expect(Reconciler.setsToRewrite(wanted) == ["large"])
    }
}
