import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT

/// What one sync computes: the plans, the wanted ruleset and the transaction that gets there.
public struct SyncResult: Sendable {
    public var plan: ClusterPlan
    public var ruleset: Ruleset
    public var transaction: Transaction
}

/// The sync phases in order — plan, compile, diff — as one call, so the CLI's dry run and the daemon
/// run the same code.
public enum RulesPipeline {
    /// Plans and compiles `snapshot`, then diffs against `programmed` (empty for a full sync).
    public static func sync(snapshot: ClusterSnapshot, config: ProxyConfig, programmed: Ruleset = Ruleset()) -> SyncResult {
        let plan = Planner.plan(snapshot: snapshot, config: config)
        let ruleset = Compiler.compile(plan, config: config)
        return SyncResult(plan: plan, ruleset: ruleset, transaction: Differ.diff(from: programmed, to: ruleset))
    }

    /// The `iptables-restore` texts of a plan, IPv4 then IPv6 (families without plans are omitted).
    public static func iptables(_ plan: ClusterPlan, config: ProxyConfig) -> [(IPFamily, String)] {
        let ports = plan.servicePorts
        return IPFamily.allCases.filter { family in ports.contains { $0.family == family } }.map { family in
            (family, IptablesRenderer.render(ports, family: family, node: plan.node, config: config))
        }
    }
}
