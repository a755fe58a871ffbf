import Foundation
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules
import SwitchyardSandbox
import SwitchyardSources
import SwitchyardTestSupport

/// The repository's examples/cluster, loaded once.
enum ExampleCluster {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func objects() throws -> [ClusterObject] {
        try ManifestLoader().load(paths: [root.appendingPathComponent("examples/cluster").path])
    }

    static func store() throws -> ClusterStore {
        var store = ClusterStore()
        store.apply(try objects().map(ClusterEvent.added))
        _ = store.takeChanges()
        return store
    }

    static func address(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { preconditionFailure("bad address \(text)") }
        return address
    }
}

/// A cluster programmed into a sandbox's node namespace the way a sync does it: plan, compile, diff,
/// commit over netlink, then delete the conntrack entries the change left stale.
final class ProgrammedNode {
    private(set) var store: ClusterStore
    let config: ProxyConfig
    let programmer: NetfilterProgrammer
    private(set) var plan: ClusterPlan
    private(set) var programmed = Ruleset()
    private(set) var lastCommit: CommitSummary?
    private(set) var conntrackDeletions = 0

    init(store: ClusterStore, namespace: String, dispatch: DispatchModel = .random) throws {
        self.store = store
        config = ProxyConfig(
            nodeName: "node-1",
            clusterCIDRs: [ExampleCluster.address("10.244.0.0").cidr(16), ExampleCluster.address("fd00:10:244::").cidr(56)],
            dispatch: dispatch)
        programmer = try NetfilterProgrammer(namespace: .named(namespace))
        plan = ClusterPlan(node: NodeContext(config: config, snapshot: store.snapshot), services: [:])
        try sync(changed: Set(store.snapshot.services.keys))
    }

    /// Applies events and syncs what changed.
    func apply(_ events: [ClusterEvent]) throws {
        store.apply(events)
        try sync(changed: store.takeChanges().dirtyServices)
    }

    private func sync(changed: Set<ObjectKey>) throws {
        let newPlan = Planner.plan(snapshot: store.snapshot, config: config)
        let wanted = Compiler.compile(newPlan, config: config)
        let transaction = Differ.diff(from: programmed, to: wanted)
        lastCommit = try programmer.commit(transaction, programmed: programmed)
        programmed = wanted
        for flow in StaleFlows.between(old: plan, new: newPlan, services: changed) {
            conntrackDeletions += try programmer.deleteConntrack(matching: ConntrackFilter(
                destination: flow.frontend.bytes, port: UInt16(flow.port), protocol: flow.protocol.number,
                replySource: flow.replySource.bytes))
        }
        plan = newPlan
    }
}

extension IPAddress {
    func cidr(_ length: Int) -> CIDR {
        guard let cidr = CIDR(address: self, prefixLength: length) else { preconditionFailure("bad prefix") }
        return cidr
    }
}

/// Why the end-to-end suites cannot run here, or nil.
let endToEndUnavailable: String? = TestNamespace.unavailableReason
