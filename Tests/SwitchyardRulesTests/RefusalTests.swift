import Testing
@testable import SwitchyardRules
import SwitchyardNFT

/// A differ step the transaction checks refuse is kept as a typed error, in every build
/// configuration (it used to be an `assertionFailure`, compiled out of release builds, after which
/// the operation silently went missing).
@Suite("Impossible operations are typed errors, not silent drops")
struct RefusalTests {
    static let table = TableRef(.ip, "switchyard")

    /// A base that defines a one-field set, and a step that adds a two-field element to it.
    static func invalidSteps() -> (Differ.Steps, Ruleset) {
        var base = Ruleset()
        base.add(Table(table))
        base.add(NamedSet(table, "one-field", key: .types([.ipv4Address])))
        var steps = Differ.Steps()
        let element = Element([.address(Address("10.96.0.1")!), .port(80)])
        steps.elementChanges(table, "one-field", removed: [], added: [element])
        return (steps, base)
    }

    @Test("the refused operation is recorded with its reason, and the transaction is not committable")
    func refusalIsRecorded() throws {
        let (steps, base) = Self.invalidSteps()
        let transaction = steps.transaction(base: base)
        #expect(transaction.isEmpty, "the refused element batch is left out")
        #expect(transaction.refusals.count == 1)
        #expect(transaction.refusals.first?.description.contains("one-field") == true, "\(transaction.refusals)")
        #expect(throws: InvalidTransaction.self) { try transaction.checkCommittable() }
    }

    @Test("a valid transaction stays committable")
    func validTransaction() throws {
        var transaction = Transaction()
        try transaction.add(.table(Table(Self.table)))
        try transaction.checkCommittable()
        #expect(transaction.refusals.isEmpty)
    }
}
