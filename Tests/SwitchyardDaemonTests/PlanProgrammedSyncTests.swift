import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import Synchronization
import Testing
@testable import SwitchyardDaemon

/// A backend that programs from the plan (as the iptables and userspace modes do), recording each call.
final class PlanRecordingBackend: SyncBackend, Sendable {
    let calls = Mutex<[(services: Int, changed: Set<ObjectKey>?)]>([])

    var programsFromPlan: Bool { true }

    func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? {
        calls.withLock { $0.append((plan.services.count, changed)) }
        return ProgrammingReport(operations: 1)
    }

    func commit(_ transaction: Transaction) async throws -> ProgrammingReport {
        Issue.record("a plan-programmed mode was sent an nftables transaction")
        return ProgrammingReport(operations: 0)
    }

    func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport {
        Issue.record("a plan-programmed mode was asked to reconcile nftables rules")
        return ProgrammingReport(operations: 0)
    }

    func isUntouchedSinceLastWrite() async -> Bool { true }
    func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int { 0 }
    func hostAddresses() async -> [IPAddress]? { nil }
}

@Suite("Syncs of modes that program from the plan")
struct PlanProgrammedSyncTests {
    @Test("compile no nftables rules: the full sync plans only, an incremental one passes the changed Service")
    func planOnly() async throws {
        let backend = PlanRecordingBackend()
        let syncer = Syncer(backend: backend, config: ProxyConfig(nodeName: "node-a"), wallClock: { 1_800_000_000 })
        var state = ProxyState()
        state.store.apply(try Fixtures.initialBatch(endpoints: [1, 2]))
        let full = try await syncer.sync(.full, state: &state)
        #expect(full.rules == 0 && full.elements == 0, "no nftables ruleset was compiled")
        #expect(state.programmed.compiler?.compilesRules == false)
        #expect(state.programmed.compiler?.ruleset().tables.isEmpty == true)
        #expect(state.programmed.compiler?.plan.services.count == 1)

        state.store.apply(try Fixtures.sliceUpdate(endpoints: [1, 2, 3]))
        let incremental = try await syncer.sync(.incremental, state: &state)
        #expect(incremental.kind == .incremental && incremental.programming.operations == 1)
        let calls = backend.calls.withLock { $0 }
        #expect(calls.count == 2)
        #expect(calls.first?.changed == nil && calls.first?.services == 1)
        #expect(calls.last?.changed?.count == 1, "only the changed Service")
        #expect(state.programmed.compiler?.plan.services.values.first?.first?.cluster.endpoints.count == 3, "the kept plan follows the change")
    }
}
