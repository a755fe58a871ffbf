import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT

/// What one full sync computes: the plans, the wanted ruleset and the transaction that gets there.
public struct SyncResult: Sendable {
    public var plan: ClusterPlan
    public var ruleset: Ruleset
    public var transaction: Transaction
}

/// What one incremental sync computes: the re-planned Services with their port plans before and
/// after (for conntrack, gauges and health checks), and the transaction for exactly what changed.
public struct IncrementalSyncResult: Sendable {
    /// The re-planned Services: their port plans before the sync (empty: absent), in key order.
    public var before: [(service: ObjectKey, ports: [ServicePortPlan])]
    public var transaction: Transaction
    /// False when this node's own context changed: every plan may differ and the caller must run a
    /// full sync instead (the compiler was left as it was).
    public var applied: Bool
}

/// The sync phases in order — plan, compile, diff — as the one entry point that the daemon's
/// `Syncer`, `switchyard rules` (dry run), `switchyard bench` and the micro-benchmarks call, so
/// what is benchmarked is what runs.
public enum RulesPipeline {
    /// A full sync's plan and wanted ruleset (the daemon reconciles the kernel to it); with `compile`
    /// false (modes that program from the plan), the plan and an empty ruleset.
    public static func full(snapshot: ClusterSnapshot, config: ProxyConfig, compile: Bool = true) -> (plan: ClusterPlan, ruleset: Ruleset) {
        let plan = Planner.plan(snapshot: snapshot, config: config)
        return (plan, compile ? Compiler.compile(plan, config: config) : Ruleset())
    }

    /// A full sync from `programmed` (empty: from nothing): plan, compile, and the diff to commit.
    public static func sync(snapshot: ClusterSnapshot, config: ProxyConfig, programmed: Ruleset = Ruleset()) -> SyncResult {
        let (plan, ruleset) = full(snapshot: snapshot, config: config)
        return SyncResult(plan: plan, ruleset: ruleset, transaction: Differ.diff(from: programmed, to: ruleset))
    }

    /// An incremental sync: re-plans the Services `changes` names and applies them to `compiler`,
    /// which must be the only reference to its state (take it out of any container first, or the
    /// update copies the whole cluster's state). O(changed Services).
    public static func incremental(
        _ compiler: inout IncrementalCompiler, changes: ClusterChanges, snapshot: ClusterSnapshot
    ) -> IncrementalSyncResult {
        let update = Planner.plan(changes: changes, snapshot: snapshot, config: compiler.config)
        if update.isFull || update.node != compiler.plan.node {
            return IncrementalSyncResult(before: [], transaction: Transaction(), applied: false)
        }
        let before = update.services.keys.sorted().map { ($0, compiler.plan.services[$0] ?? []) }
        let transaction = compiler.apply(update)
        return IncrementalSyncResult(before: before, transaction: transaction, applied: true)
    }

    /// The `iptables-restore` texts of a plan, IPv4 then IPv6 (families without plans are omitted).
    public static func iptables(_ plan: ClusterPlan, config: ProxyConfig) -> [(IPFamily, String)] {
        let ports = plan.servicePorts
        return IPFamily.allCases.filter { family in ports.contains { $0.family == family } }.map { family in
            (family, IptablesRenderer.render(ports, family: family, node: plan.node, config: config))
        }
    }
}
