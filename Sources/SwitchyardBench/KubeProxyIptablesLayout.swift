import SwitchyardLB
import SwitchyardModel
import SwitchyardRules

/// kube-proxy's iptables mode for the same plans (reference kube-proxy.md §c): the full
/// `iptables-restore` input from ``IptablesRenderer`` plus the jumps from the built-in chains, and
/// the partial restore its `MinimizeIPTablesRestore` sync sends (`--noflush`): the top-level chains
/// written whole (so O(services) every time), the changed Services' chains, stale chains deleted.
public enum KubeProxyIptablesLayout {
    /// The full sync from empty, for `iptables-restore --noflush`.
    public static func fullSync(_ plans: [ServicePortPlan], node: NodeContext, config: ProxyConfig) -> String {
        let text = IptablesRenderer.render(plans, family: .ipv4, node: node, config: config)
        var lines: [String] = []
        var section = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("*") { section = line }
            if line == "COMMIT" { lines += IptablesRestore.jumps.filter { "*" + $0.table == section }.map(\.restoreLine) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The chains kube-proxy may have for a service port.
    static func candidateChains(_ plan: ServicePortPlan) -> Set<String> {
        var names: Set<String> = [
            Names.iptablesServiceChain(plan.name), Names.iptablesLocalChain(plan.name),
            Names.iptablesExternalChain(plan.name), Names.iptablesFirewallChain(plan.name),
        ]
        for endpoint in plan.cluster.endpoints + plan.local.endpoints { names.insert(Names.iptablesEndpointChain(plan.name, endpoint)) }
        return names
    }

    /// The partial restore after the Services whose plans went from `old` to `new` changed: the one
    /// Switchyard's iptables mode sends (``IptablesRestore/partial(_:changed:existing:)``), with the
    /// old plans' chains as what exists. `full` is the new full text (``IptablesRenderer`` over every plan).
    public static func partialSync(full: String, old: [ServicePortPlan], new: [ServicePortPlan]) -> String {
        let newCandidates = new.reduce(into: Set<String>()) { $0.formUnion(candidateChains($1)) }
        let oldCandidates = old.reduce(into: Set<String>()) { $0.formUnion(candidateChains($1)) }
        return IptablesRestore.partial(full, changed: newCandidates, existing: ["nat": oldCandidates]) + "\n"
    }
}
