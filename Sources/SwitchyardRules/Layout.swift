import SwitchyardNFT

/// The fixed part of the ruleset, declared as data with the reason beside each entry. Everything a sync
/// changes lives in the sets and maps named here (and, for `chains` dispatch and session affinity, in
/// per-service chains reached through verdict maps). See docs/ruleset.md.
public enum Layout {
    /// A base chain of the layout.
    public struct BaseChain: Sendable {
        public var name: String
        public var spec: BaseChainSpec
        /// The regular chain it jumps to, and whether only for new connections.
        public var jumpsTo: String
        public var newOnly: Bool
        public var reason: String
    }

    /// Base chains: filter chains at dstnat−10 see the original destination (before DNAT) in prerouting
    /// and output; input/forward run after prerouting's DNAT anyway; output's endpoint check needs
    /// dstnat+10 to run after nat-output.
    public static let baseChains: [BaseChain] = [
        BaseChain(name: "filter-prerouting", spec: BaseChainSpec(type: .filter, hook: .prerouting, priority: .dstnat - 10),
                  jumpsTo: "firewall-check", newOnly: true, reason: "loadBalancerSourceRanges, before DNAT hides the LB IP"),
        BaseChain(name: "filter-output", spec: BaseChainSpec(type: .filter, hook: .output, priority: .dstnat - 10),
                  jumpsTo: "firewall-check", newOnly: true, reason: "loadBalancerSourceRanges for the node's own clients"),
        BaseChain(name: "filter-input", spec: BaseChainSpec(type: .filter, hook: .input, priority: .dstnat - 10),
                  jumpsTo: "endpoints-check", newOnly: true, reason: "NodePorts without endpoints: reject or drop"),
        BaseChain(name: "filter-forward", spec: BaseChainSpec(type: .filter, hook: .forward, priority: .dstnat - 10),
                  jumpsTo: "endpoints-check", newOnly: true, reason: "frontends without endpoints, unserved ClusterIP ports"),
        BaseChain(name: "filter-output-post-dnat", spec: BaseChainSpec(type: .filter, hook: .output, priority: .dstnat + 10),
                  jumpsTo: "endpoints-check", newOnly: true, reason: "the same for local clients, after nat-output"),
        BaseChain(name: "nat-prerouting", spec: BaseChainSpec(type: .nat, hook: .prerouting, priority: .dstnat),
                  jumpsTo: "services", newOnly: false, reason: "DNAT of traffic arriving on the node"),
        BaseChain(name: "nat-output", spec: BaseChainSpec(type: .nat, hook: .output, priority: .dstnat),
                  jumpsTo: "services", newOnly: false, reason: "DNAT of the node's own traffic"),
        BaseChain(name: "nat-postrouting", spec: BaseChainSpec(type: .nat, hook: .postrouting, priority: .srcnat),
                  jumpsTo: "masquerading", newOnly: false, reason: "masquerade what was marked, and hairpin"),
    ]

    // Regular chains of the fixed layout.
    public static let servicesChain = "services"
    public static let firewallChain = "firewall-check"
    public static let endpointsChain = "endpoints-check"
    public static let rejectChain = "reject-chain"
    public static let masqueradingChain = "masquerading"

    // Fixed sets.
    public static let clusterIPs = "cluster-ips"
    public static let nodePortIPs = "nodeport-ips"
    public static let clusterCIDRs = "cluster-cidrs"
    public static let hairpin = "hairpin"
    public static let firewallFrontends = "firewall-services"
    public static let firewallAllow = "firewall-allow"
}

/// Which key a frontend is looked up by: `daddr . l4proto . dport` (ClusterIP, externalIPs, LB IPs) or
/// `l4proto . dport` on `@nodeport-ips` (NodePorts).
public enum FrontendKind: String, Sendable, Hashable, CaseIterable {
    case service, nodeport
}

/// Which endpoints a dispatch reaches: the frontend's own set, or (ETP Local) the cluster set for pod
/// and node-local sources (kube-proxy's short-circuit).
public enum DispatchView: String, Sendable, Hashable, CaseIterable {
    case primary, shortcut
}

/// Names of the per-kind, per-view sets and maps.
public struct DispatchNames: Sendable, Hashable {
    public var kind: FrontendKind
    public var view: DispatchView

    var prefix: String { view == .primary ? kind.rawValue : "shortcut-\(kind.rawValue)" }
    /// `service-slots`: frontend . slot → endpoint address . port.
    public var slots: String { "\(prefix)-slots" }
    /// `service-mod-N`: frontends whose table has N slots.
    public func modulus(_ n: Int) -> String { "\(prefix)-mod-\(n)" }
    /// `service-chains`: frontend → goto per-service chain (chains dispatch, session affinity).
    public var chains: String { "\(prefix)-chains" }
    /// The regular chain holding this view's dispatch rules.
    public var dispatchChain: String { view == .primary ? Layout.servicesChain : "shortcut-\(kind.rawValue)s" }
    /// `reject-services` / `drop-nodeports`: frontends without endpoints.
    public static func noEndpoints(_ kind: FrontendKind, reject: Bool) -> String { "\(reject ? "reject" : "drop")-\(kind.rawValue)s" }
    /// `masquerade-services`: frontends always masqueraded (external traffic with policy Cluster, or all).
    public static func masquerade(_ kind: FrontendKind) -> String { "masquerade-\(kind.rawValue)s" }
    /// `local-services`: external frontends with policy Local (short-circuit candidates).
    public static func local(_ kind: FrontendKind) -> String { "local-\(kind.rawValue)s" }
}
