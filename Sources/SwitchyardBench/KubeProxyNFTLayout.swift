import SwitchyardLB
import SwitchyardModel
import SwitchyardRules

/// The ruleset kube-proxy's nftables mode writes for the same plans, as the `nft -f` transaction it
/// sends (reference kube-proxy.md §b): table `ip kube-proxy`, base chains `<type>-<hook>`, the global
/// maps `service-ips` / `service-nodeports` (verdict maps into per-service chains), one
/// `service-HASH-ns/svc/proto/port` chain per service port ending in an inline
/// `numgen random mod N vmap { … }`, one `endpoint-HASH-…__ip/port` chain per endpoint (hairpin mark +
/// DNAT), `external-…` chains for NodePorts, one command per line and per element as knftables does.
///
/// Covered: ClusterIP, NodePort, externalIPs and LB IPs with ETP/ITP Cluster, no-endpoint rejects,
/// masquerade and hairpin — what the synthetic cluster uses. Local policies, session affinity and
/// source ranges are approximated by their Cluster form (the benchmark cluster has none).
public struct KubeProxyNFTLayout: Sendable {
    public let family: IPFamily
    public let node: NodeContext
    public let config: ProxyConfig

    public init(family: IPFamily = .ipv4, node: NodeContext, config: ProxyConfig) {
        self.family = family
        self.node = node
        self.config = config
    }

    /// `ip kube-proxy` or `ip6 kube-proxy`.
    public var table: String { family == .ipv4 ? "ip kube-proxy" : "ip6 kube-proxy" }
    var addressType: String { family == .ipv4 ? "ipv4_addr" : "ipv6_addr" }
    var ipKeyword: String { family == .ipv4 ? "ip" : "ip6" }
    var mark: String { "0x" + String(config.masqueradeMark, radix: 16) }

    /// Objects a load of this text creates, for the report (table, chains, rules, sets, elements).
    public struct Counts: Sendable, Hashable {
        public var chains = 0
        public var rules = 0
        public var sets = 0
        public var elements = 0
        public var total: Int { 1 + chains + rules + sets + elements }
    }

    // MARK: Full sync

    /// The whole transaction from empty, as one `nft -f` input, with what it creates.
    public func fullSync(_ plans: [ServicePortPlan]) -> (text: String, counts: Counts) {
        var out = Output()
        out.line("add table \(table) { comment \"rules for kube-proxy\" ; }")
        let base: [(String, String, String, Int)] = [
            ("filter-prerouting", "filter", "prerouting", -110), ("filter-input", "filter", "input", -110),
            ("filter-forward", "filter", "forward", -110), ("filter-output", "filter", "output", -110),
            ("filter-output-post-dnat", "filter", "output", -90), ("nat-prerouting", "nat", "prerouting", -100),
            ("nat-output", "nat", "output", -100), ("nat-postrouting", "nat", "postrouting", 100),
        ]
        for (name, type, hook, priority) in base {
            out.chain("add chain \(table) \(name) { type \(type) hook \(hook) priority \(priority) ; }")
        }
        for name in ["nodeport-endpoints-check", "service-endpoints-check", "firewall-check", "services", "masquerading",
                     "cluster-ips-check", "mark-for-masquerade", "reject-chain"] {
            out.chain("add chain \(table) \(name)")
        }
        let key = "\(addressType) . inet_proto . inet_service"
        out.set("add set \(table) cluster-ips { type \(addressType) ; comment \"Active ClusterIPs\" ; }")
        out.set("add set \(table) nodeport-ips { type \(addressType) ; comment \"IPs that accept NodePort traffic\" ; }")
        out.set("add map \(table) service-ips { type \(key) : verdict ; comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ; }")
        out.set("add map \(table) service-nodeports { type inet_proto . inet_service : verdict ; comment \"NodePort traffic\" ; }")
        out.set("add map \(table) no-endpoint-services { type \(key) : verdict ; comment \"vmap to drop or reject packets to services with no endpoints\" ; }")
        out.set("add map \(table) no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to service nodeports with no endpoints\" ; }")
        out.set("add map \(table) firewall-ips { type \(key) : verdict ; comment \"destinations that are subject to LoadBalancerSourceRanges\" ; }")
        let jumps: [(String, String)] = [
            ("filter-input", "ct state new jump nodeport-endpoints-check"),
            ("filter-input", "ct state new jump service-endpoints-check"),
            ("filter-forward", "ct state new jump service-endpoints-check"),
            ("filter-output", "ct state new jump service-endpoints-check"),
            ("filter-prerouting", "ct state new jump firewall-check"),
            ("filter-output", "ct state new jump firewall-check"),
            ("nat-output", "jump services"), ("nat-prerouting", "jump services"),
            ("nat-postrouting", "jump masquerading"),
            ("filter-forward", "ct state new jump cluster-ips-check"),
            ("filter-output-post-dnat", "ct state new jump cluster-ips-check"),
        ]
        for (chain, rule) in jumps { out.rule("add rule \(table) \(chain) \(rule)") }
        out.rule("add rule \(table) reject-chain reject")
        out.rule("add rule \(table) mark-for-masquerade meta mark set meta mark or \(mark)")
        out.rule("add rule \(table) masquerading meta mark & \(mark) == 0 return")
        out.rule("add rule \(table) masquerading meta mark set meta mark xor \(mark)")
        out.rule("add rule \(table) masquerading masquerade fully-random")
        out.rule("add rule \(table) services \(ipKeyword) daddr . meta l4proto . th dport vmap @service-ips")
        out.rule("add rule \(table) services \(ipKeyword) daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports")
        out.rule("add rule \(table) service-endpoints-check \(ipKeyword) daddr . meta l4proto . th dport vmap @no-endpoint-services")
        out.rule("add rule \(table) nodeport-endpoints-check \(ipKeyword) daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports")
        out.rule("add rule \(table) firewall-check \(ipKeyword) daddr . meta l4proto . th dport vmap @firewall-ips")
        out.rule("add rule \(table) cluster-ips-check \(ipKeyword) daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"")
        for address in node.nodePortAddresses(of: family) { out.element("add element \(table) nodeport-ips { \(address) }") }

        let mine = plans.filter { $0.family == family }.sorted()
        // Chains first (rules may jump to any of them), then their rules, then the map elements.
        for plan in mine { for chain in chains(of: plan) { out.chain("add chain \(table) \(chain.name)") } }
        for plan in mine {
            for chain in chains(of: plan) { for rule in chain.rules { out.rule("add rule \(table) \(chain.name) \(rule)") } }
        }
        for plan in mine { for element in elements(of: plan) { out.element("add element \(table) \(element.map) { \(element.key) : \(element.value) }") } }
        for ip in Set(mine.map(\.clusterIP)).sorted() { out.element("add element \(table) cluster-ips { \(ip) }") }
        return (out.text, out.counts)
    }

    // MARK: Partial sync

    /// The transaction kube-proxy's partial sync sends when the plans of some Services changed from
    /// `old` to `new` (both: the changed Services' plans only): the changed Services' chains flushed
    /// and rewritten, new chains added, element differences (delete + add for a changed value), stale
    /// chains flushed and deleted. (kube-proxy deletes stale chains in a second transaction ≥ 1 s
    /// later; here they go in the same one, the smallest single `nft -f` that does the same.)
    public func partialSync(old: [ServicePortPlan], new: [ServicePortPlan]) -> String {
        var out = Output()
        let oldPlans = old.filter { $0.family == family }.sorted()
        let newPlans = new.filter { $0.family == family }.sorted()
        let oldChains = Dictionary(oldPlans.flatMap { chains(of: $0) }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newChains = newPlans.flatMap { chains(of: $0) }
        let newChainNames = Set(newChains.map(\.name))
        for chain in newChains { out.chain("add chain \(table) \(chain.name)") }
        for chain in newChains where oldChains[chain.name] != nil { out.line("flush chain \(table) \(chain.name)") }
        for chain in newChains { for rule in chain.rules { out.rule("add rule \(table) \(chain.name) \(rule)") } }

        let oldElements = Dictionary(oldPlans.flatMap { elements(of: $0) }.map { ("\($0.map) \($0.key)", $0) }, uniquingKeysWith: { a, _ in a })
        let newElements = Dictionary(newPlans.flatMap { elements(of: $0) }.map { ("\($0.map) \($0.key)", $0) }, uniquingKeysWith: { a, _ in a })
        for id in oldElements.keys.sorted() {
            guard let element = oldElements[id], newElements[id] != element else { continue }
            out.line("delete element \(table) \(element.map) { \(element.key) }")
        }
        for id in newElements.keys.sorted() {
            guard let element = newElements[id], oldElements[id] != element else { continue }
            out.element("add element \(table) \(element.map) { \(element.key) : \(element.value) }")
        }
        let oldIPs = Set(oldPlans.map(\.clusterIP)), newIPs = Set(newPlans.map(\.clusterIP))
        for ip in oldIPs.subtracting(newIPs).sorted() { out.line("delete element \(table) cluster-ips { \(ip) }") }
        for ip in newIPs.subtracting(oldIPs).sorted() { out.element("add element \(table) cluster-ips { \(ip) }") }
        // Stale chains: flush them all first (the service chain's vmap still names the endpoint
        // chains), then delete them.
        let stale = oldChains.keys.sorted().filter { !newChainNames.contains($0) }
        for name in stale { out.line("flush chain \(table) \(name)") }
        for name in stale { out.line("delete chain \(table) \(name)") }
        return out.text
    }

    // MARK: Per service port

    struct ChainText: Sendable, Hashable {
        var name: String
        var rules: [String]
    }

    struct ElementText: Sendable, Hashable {
        var map: String
        var key: String
        var value: String
    }

    /// The service-, external- and endpoint- chains of one plan, with their rules.
    func chains(of plan: ServicePortPlan) -> [ChainText] {
        let endpoints = plan.cluster.endpoints
        guard plan.hasEndpoints, !endpoints.isEmpty else { return [] }
        let base = Names.servicePortBase(plan.name)
        let service = "service-" + Names.hashed(base)
        let proto = plan.protocol.lowercased
        var result: [ChainText] = []
        var serviceRules: [String] = []
        if config.masqueradeAll {
            serviceRules.append("\(ipKeyword) daddr \(plan.clusterIP) \(proto) dport \(plan.port) jump mark-for-masquerade")
        } else if let cidr = config.clusterCIDRs(of: plan.family).first {
            serviceRules.append("\(ipKeyword) daddr \(plan.clusterIP) \(proto) dport \(plan.port) \(ipKeyword) saddr != \(cidr) jump mark-for-masquerade")
        }
        let endpointChains = endpoints.map { "endpoint-" + Names.hashed(Names.endpointBase(plan.name, $0)) }
        let vmap = endpointChains.enumerated().map { "\($0.offset) : goto \($0.element)" }.joined(separator: " , ")
        serviceRules.append("numgen random mod \(endpoints.count) vmap { \(vmap) }")
        result.append(ChainText(name: service, rules: serviceRules))
        if plan.isExternallyAccessible {
            result.append(ChainText(name: "external-" + Names.hashed(base), rules: ["jump mark-for-masquerade", "goto \(service)"]))
        }
        for (endpoint, chain) in zip(endpoints, endpointChains) {
            let target = family == .ipv4 ? "\(endpoint.ip):\(endpoint.port)" : "[\(endpoint.ip)]:\(endpoint.port)"
            result.append(ChainText(name: chain, rules: [
                "\(ipKeyword) saddr \(endpoint.ip) jump mark-for-masquerade",
                "meta l4proto \(proto) dnat to \(target)",
            ]))
        }
        return result
    }

    /// The map elements of one plan.
    func elements(of plan: ServicePortPlan) -> [ElementText] {
        let base = Names.servicePortBase(plan.name)
        let proto = plan.protocol.lowercased
        let reachable = plan.hasEndpoints && !plan.cluster.endpoints.isEmpty
        let service = "goto service-" + Names.hashed(base)
        let external = plan.isExternallyAccessible ? "goto external-" + Names.hashed(base) : service
        var result: [ElementText] = []
        let frontends = [(plan.clusterIP, service)] + (plan.externalIPs + plan.loadBalancerIPs).map { ($0, external) }
        for (ip, verdict) in frontends {
            let key = "\(ip) . \(proto) . \(plan.port)"
            result.append(reachable ? ElementText(map: "service-ips", key: key, value: verdict)
                                    : ElementText(map: "no-endpoint-services", key: key, value: "goto reject-chain"))
        }
        if plan.nodePort != 0 {
            let key = "\(proto) . \(plan.nodePort)"
            result.append(reachable ? ElementText(map: "service-nodeports", key: key, value: external)
                                    : ElementText(map: "no-endpoint-nodeports", key: key, value: "goto reject-chain"))
        }
        return result
    }

    /// Accumulates lines and counts what they create.
    struct Output {
        var lines: [String] = []
        var counts = Counts()

        mutating func line(_ text: String) { lines.append(text) }
        mutating func chain(_ text: String) { lines.append(text); counts.chains += 1 }
        mutating func rule(_ text: String) { lines.append(text); counts.rules += 1 }
        mutating func set(_ text: String) { lines.append(text); counts.sets += 1 }
        mutating func element(_ text: String) { lines.append(text); counts.elements += 1 }

        var text: String { lines.joined(separator: "\n") + "\n" }
    }
}
