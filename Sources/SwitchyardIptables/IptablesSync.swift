import SwitchyardLB
import SwitchyardModel
import SwitchyardRules
import SwitchyardSystem

/// One namespace's iptables-mode state and its sync: the plan rendered in kube-proxy's layout
/// (``IptablesRenderer``) and applied with `iptables-restore --noflush` / `ip6tables-restore
/// --noflush` in the node's variant (``IptablesTools/detect(in:)``, at the first sync), deleting the
/// per-Service chains a previous restore made and keeping kube-proxy's jumps from the built-in
/// chains. After the first sync a change rewrites only the changed Services' chains (kube-proxy's
/// partial restores); every full sync restores everything, repairing drift. Blocking (it runs the
/// tools): the daemon's ``IptablesBackend`` calls it on its queue, `switchyard bench` directly.
public struct IptablesSync: Sendable {
    public let namespace: NetworkNamespace
    public let config: ProxyConfig
    /// The chains of the last restore per family, by table (read from iptables-save at the first one).
    private var chains: [IPFamily: [String: Set<String>]] = [:]
    /// The Services each family's last restore held.
    private var services: [IPFamily: Set<ObjectKey>] = [:]
    /// The node's variant, detected at the first sync.
    public private(set) var tools: IptablesTools?

    /// `tools` nil: detected at the first sync, as kube-proxy's image does; given: that variant.
    public init(namespace: NetworkNamespace, config: ProxyConfig, tools: IptablesTools? = nil) {
        self.namespace = namespace
        self.config = config
        self.tools = tools
    }

    /// Programs `plan` whole (`changed` nil) or after a change to the Services `changed`; returns the
    /// restore lines sent.
    public mutating func program(plan: ClusterPlan, changed: Set<ObjectKey>?) throws -> Int {
        let tools = self.tools ?? IptablesTools.detect(in: namespace)
        self.tools = tools
        var lines = 0
        for family in IPFamily.allCases {
            let plans = plan.services.values.joined().filter { $0.family == family }.sorted()
            let held = Set(plans.map(\.name.service))
            // A change to no Service this family has or had leaves its tables as they are (an IPv4
            // cluster's endpoint change runs no ip6tables-restore).
            if let changed, chains[family] != nil, changed.isDisjoint(with: held), changed.isDisjoint(with: services[family] ?? []) {
                continue
            }
            services[family] = held
            let text = IptablesRenderer.render(plans, family: family, node: plan.node, config: config)
            let input: String
            if let changed, let existing = chains[family] {
                // Only the changed Services' chains are rewritten (kube-proxy's partial restore).
                let changedPlans = plans.filter { changed.contains($0.name.service) }
                let changedChains = IptablesRestore.chains(in: IptablesRenderer.render(changedPlans, family: family, node: plan.node, config: config))
                input = IptablesRestore.partial(text, changed: changedChains.values.reduce(into: Set()) { $0.formUnion($1) }, existing: existing)
            } else {
                input = IptablesRestore.deletingStale(try chains[family] ?? tools.chains(family), from: text)
            }
            try tools.run(tools.tool(family, "-restore"), ["--noflush", "-w", "5"], input: input)
            chains[family] = IptablesRestore.chains(in: text)
            lines += input.utf8.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            if changed == nil { try tools.ensureJumps(family) }
        }
        return lines
    }
}
