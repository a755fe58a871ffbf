import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT

/// The fixed part of the ruleset, declared as data with the reason beside each entry: base chains,
/// helper chains, fixed sets and maps, fixed rules. Everything a sync changes lives in the sets and
/// maps named here (and, for `chains` dispatch and session affinity, in per-service chains reached
/// through verdict maps). ``FamilyLayout`` resolves it for one family, config and node. See
/// docs/ruleset.md.
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
                  jumpsTo: firewallChain, newOnly: true, reason: "loadBalancerSourceRanges, before DNAT hides the LB IP"),
        BaseChain(name: "filter-output", spec: BaseChainSpec(type: .filter, hook: .output, priority: .dstnat - 10),
                  jumpsTo: firewallChain, newOnly: true, reason: "loadBalancerSourceRanges for the node's own clients"),
        BaseChain(name: "filter-input", spec: BaseChainSpec(type: .filter, hook: .input, priority: .dstnat - 10),
                  jumpsTo: endpointsChain, newOnly: true, reason: "NodePorts without endpoints: reject or drop"),
        BaseChain(name: "filter-forward", spec: BaseChainSpec(type: .filter, hook: .forward, priority: .dstnat - 10),
                  jumpsTo: endpointsChain, newOnly: true, reason: "frontends without endpoints, unserved ClusterIP ports"),
        BaseChain(name: "filter-output-post-dnat", spec: BaseChainSpec(type: .filter, hook: .output, priority: .dstnat + 10),
                  jumpsTo: endpointsChain, newOnly: true, reason: "the same for local clients, after nat-output"),
        BaseChain(name: "nat-prerouting", spec: BaseChainSpec(type: .nat, hook: .prerouting, priority: .dstnat),
                  jumpsTo: servicesChain, newOnly: false, reason: "DNAT of traffic arriving on the node"),
        BaseChain(name: "nat-output", spec: BaseChainSpec(type: .nat, hook: .output, priority: .dstnat),
                  jumpsTo: servicesChain, newOnly: false, reason: "DNAT of the node's own traffic"),
        BaseChain(name: "nat-postrouting", spec: BaseChainSpec(type: .nat, hook: .postrouting, priority: .srcnat),
                  jumpsTo: masqueradingChain, newOnly: false, reason: "masquerade what was marked, and hairpin"),
    ]

    // Regular chains of the fixed layout.
    /// Masquerade marks, short-circuits, then dispatch of every frontend (primary view).
    public static let servicesChain = "services"
    /// Drops LB traffic from sources outside loadBalancerSourceRanges.
    public static let firewallChain = "firewall-check"
    /// Rejects or drops traffic to frontends without endpoints and to unserved ClusterIP ports.
    public static let endpointsChain = "endpoints-check"
    /// A TCP reset for TCP, ICMP port unreachable otherwise.
    public static let rejectChain = "reject-chain"
    /// Masquerades what was marked (and hairpin flows), once.
    public static let masqueradingChain = "masquerading"

    /// Every regular chain of the fixed layout, in declaration order.
    public static let regularChains: [String] = [servicesChain, firewallChain, endpointsChain, rejectChain, masqueradingChain]
        + FrontendKind.allCases.map { DispatchNames(kind: $0, view: .shortcut).dispatchChain }

    // Fixed sets.
    public static let clusterIPs = "cluster-ips"
    public static let nodePortIPs = "nodeport-ips"
    public static let clusterCIDRs = "cluster-cidrs"
    public static let hairpin = "hairpin"
    public static let firewallFrontends = "firewall-services"
    public static let firewallAllow = "firewall-allow"
    /// Declared only with `--service-cidr`.
    public static let serviceCIDRs = "service-cidrs"
    /// Node-local DNS (declared only with `--dns-cluster-ip-service`): the kube-dns frontends
    /// (`ClusterIP . udp|tcp . 53`) answered on the node while its DNS holds a socket there.
    public static let localDNS = "local-dns"
    /// Its base chain, at mangle priority (before DNAT and before routing): a query to a local-dns
    /// frontend for which a transparent socket exists gets the local-delivery mark.
    public static let localDNSChain = "local-dns-prerouting"
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
public struct DispatchNames: Sendable, Hashable, Comparable {
    public var kind: FrontendKind
    public var view: DispatchView

    var prefix: String { view == .primary ? kind.rawValue : "shortcut-\(kind.rawValue)" }
    /// `service-slots`: frontend . slot → endpoint address . port.
    public var slots: String { "\(prefix)-slots" }
    /// `service-mod-N`: frontends whose table has N slots (`service-maglev-mod-N` for Services whose
    /// annotation picks another model than `--dispatch`).
    public func modulus(_ n: Int, model: DispatchModel? = nil) -> String {
        model.map { "\(prefix)-\($0.rawValue)-mod-\(n)" } ?? "\(prefix)-mod-\(n)"
    }
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

    public static func < (lhs: DispatchNames, rhs: DispatchNames) -> Bool {
        (lhs.kind.rawValue, lhs.view.rawValue) < (rhs.kind.rawValue, rhs.view.rawValue)
    }
}

/// One dispatch-table size in use for one kind, view and model: it has a modulus set
/// (`service-mod-N`, the frontends with N slots) and a dispatch rule. The dynamic part of the fixed
/// layout.
public struct DispatchTable: Sendable, Hashable, Comparable {
    public var names: DispatchNames
    public var size: Int
    /// A model other than `--dispatch`'s (a Service's `switchyard.dev/dispatch`); nil: `--dispatch`'s.
    public var model: DispatchModel?

    public init(_ names: DispatchNames, size: Int, model: DispatchModel? = nil) {
        self.names = names
        self.size = size
        self.model = model
    }

    /// The modulus set's name.
    public var setName: String { names.modulus(size, model: model) }

    public static func < (lhs: DispatchTable, rhs: DispatchTable) -> Bool {
        (lhs.names, lhs.model?.rawValue ?? "", lhs.size) < (rhs.names, rhs.model?.rawValue ?? "", rhs.size)
    }
}

/// ``Layout`` resolved for one family's table, a config and a node: the fixed sets and rules as
/// objects, the frontend keys, and the shapes of the per-service objects (slot maps, affinity sets)
/// that the compiler and the incremental compiler both build.
struct FamilyLayout: Sendable {
    let ipFamily: IPFamily
    let table: TableRef
    let config: ProxyConfig
    let node: NodeContext
    let saddr: Expression
    let daddr: Expression
    let addressType: DataType

    init(family ipFamily: IPFamily, node: NodeContext, config: ProxyConfig) {
        self.ipFamily = ipFamily
        let family = Family(ipFamily)
        table = TableRef(family, OwnedTables.name)
        self.config = config
        self.node = node
        saddr = family == .ip ? .payload(.ipSaddr) : .payload(.ip6Saddr)
        daddr = family == .ip ? .payload(.ipDaddr) : .payload(.ip6Daddr)
        addressType = family == .ip ? .ipv4Address : .ipv6Address
    }

    var hasClusterCIDRs: Bool { !config.localTrafficCIDRs(of: ipFamily, node: node).isEmpty }
    /// `daddr . l4proto . dport` (service kind) or `l4proto . dport` (NodePorts).
    func key(_ kind: FrontendKind) -> Expression {
        kind == .service ? .concat([daddr, .meta(.l4proto), .payload(.thDport)]) : .concat([.meta(.l4proto), .payload(.thDport)])
    }

    func keyTypes(_ kind: FrontendKind) -> KeySpec {
        kind == .service ? .types([addressType, .inetProto, .inetService]) : .types([.inetProto, .inetService])
    }

    /// `ip daddr @nodeport-ips` in front of NodePort keys.
    func guardFor(_ kind: FrontendKind) -> [Statement] {
        kind == .nodeport ? [.inSet(daddr, Layout.nodePortIPs)] : []
    }

    /// How a table of `size` slots picks one under `model`. Maglev hashes the client address (a
    /// client keeps its endpoint), or the flow with ``ProxyConfig/maglevHashesFlows``.
    func selector(_ size: Int, model: DispatchModel) -> Expression {
        let modulus = UInt32(size)
        switch model {
        case .chains, .random: return .numgen(.random, modulus: modulus)
        case .roundrobin: return .numgen(.inc, modulus: modulus)
        case .sourcehash: return .jhash(saddr, modulus: modulus, seed: 0)
        case .maglev:
            return .jhash(config.maglevHashesFlows ? .concat([saddr, .payload(.thSport)]) : saddr, modulus: modulus, seed: 0)
        }
    }

    // MARK: Per-service shapes

    /// A ClientIP session-affinity set: the clients stuck to one endpoint, each for `timeout` seconds.
    func affinitySet(_ name: String, timeout: Int) -> NamedSet {
        NamedSet(table, name, key: .types([addressType]), flags: [.dynamic, .timeout], timeout: timeout)
    }

    /// The modulus sets of `tables`: frontends whose dispatch table has that many slots.
    func modulusSets(_ tables: Set<DispatchTable>) -> [NamedSet] {
        tables.sorted().map { NamedSet(table, $0.setName, key: keyTypes($0.names.kind)) }
    }

    // MARK: Fixed sets

    /// The fixed sets and maps, each with why it exists, then the modulus sets of `tables`.
    func sets(_ tables: Set<DispatchTable>) -> [NamedSet] {
        var sets: [NamedSet] = [
            // Unserved ports of a ClusterIP are rejected (endpoints-check), and off-cluster clients marked.
            NamedSet(table, Layout.clusterIPs, key: .types([addressType]), comment: "every ClusterIP"),
            // NodePort keys match only on these destinations (nodePortAddresses).
            NamedSet(table, Layout.nodePortIPs, key: .types([addressType]), comment: "addresses that accept NodePorts"),
            // Pod sources: short-circuit ETP Local, and do not masquerade in-cluster clients.
            NamedSet(table, Layout.clusterCIDRs, key: .types([addressType]), flags: [.interval], comment: "pod addresses"),
            // A pod reaching itself through a Service must be masqueraded (else it answers itself).
            NamedSet(table, Layout.hairpin, key: .types([addressType, addressType]), comment: "endpoint reaching itself"),
            // LB frontends that restrict sources, and the allowed frontend . source pairs.
            NamedSet(table, Layout.firewallFrontends, key: keyTypes(.service), comment: "LB frontends with source ranges"),
            NamedSet(table, Layout.firewallAllow, key: .types([addressType, .inetProto, .inetService, addressType]), flags: [.interval],
                     comment: "LB frontend . allowed source"),
        ]
        if config.localDNS != nil {
            // The kube-dns frontends answered on this node while its DNS is up.
            sets.append(NamedSet(table, Layout.localDNS, key: keyTypes(.service), comment: "node-local DNS frontends"))
        }
        if !node.serviceCIDRs(of: ipFamily).isEmpty {
            // Where ClusterIPs come from: an address inside that no Service holds is dropped.
            sets.append(NamedSet(table, Layout.serviceCIDRs, key: .types([addressType]), flags: [.interval], comment: "ClusterIP ranges"))
        }
        for kind in FrontendKind.allCases {
            // Frontends without endpoints: rejected (kube-proxy's default) or dropped (all terminating).
            sets.append(NamedSet(table, DispatchNames.noEndpoints(kind, reject: true), key: keyTypes(kind)))
            sets.append(NamedSet(table, DispatchNames.noEndpoints(kind, reject: false), key: keyTypes(kind)))
            // Frontends always masqueraded, and the ETP Local ones that short-circuit.
            sets.append(NamedSet(table, DispatchNames.masquerade(kind), key: keyTypes(kind)))
            sets.append(NamedSet(table, DispatchNames.local(kind), key: keyTypes(kind)))
            for view in DispatchView.allCases {
                let names = DispatchNames(kind: kind, view: view)
                // frontend . slot → endpoint: the dispatch tables of every frontend in one map.
                sets.append(slotMap(names))
                // frontend → goto its per-service chain (chains dispatch, session affinity).
                sets.append(NamedSet(table, names.chains, key: keyTypes(kind), data: .verdict))
                sets += modulusSets(tables.filter { $0.names == names })
            }
        }
        return sets
    }

    func slotMap(_ names: DispatchNames) -> NamedSet {
        NamedSet(table, names.slots, key: .typeOf(key(names.kind).fields + [.numgen(.random, modulus: 1)]),
                 data: .data(.typeOf([daddr, .payload(.thDport)])))
    }

    // MARK: Fixed rules

    /// The fixed rules in chain order, for the dispatch tables in use; each says why it is there.
    func rules(_ tables: Set<DispatchTable>) -> [Rule] {
        var rules: [Rule] = []
        func add(_ chain: String, _ statements: [Statement], _ comment: String? = nil) {
            rules.append(Rule(table, chain, statements, comment: comment))
        }
        let mark = config.masqueradeMark
        // reject-chain: a TCP reset for TCP, ICMP port unreachable otherwise.
        add(Layout.rejectChain, [.reject(.tcpReset)])
        add(Layout.rejectChain, [.reject(.portUnreachable)])

        // firewall-check: LB frontends with source ranges drop other sources.
        add(Layout.firewallChain, [.inSet(key(.service), Layout.firewallFrontends),
                                   .notInSet(.concat([daddr, .meta(.l4proto), .payload(.thDport), saddr]), Layout.firewallAllow),
                                   .verdict(.drop)], "loadBalancerSourceRanges")

        // Node-local DNS: a query marked for local delivery is neither DNATed nor rejected for want of
        // endpoints (the local socket answers it).
        let localDNSMark = config.localDNS.map { [Statement.match(.bitwise(.meta(.mark), .and, $0.mark), .notEqual, .value(.mark(0))),
                                                  .verdict(.return)] }
        if let localDNSMark { add(Layout.endpointsChain, localDNSMark, "node-local DNS") }
        // endpoints-check: frontends without endpoints (drop, then reject), then unserved ClusterIP ports.
        for kind in FrontendKind.allCases {
            add(Layout.endpointsChain, guardFor(kind) + [.inSet(key(kind), DispatchNames.noEndpoints(kind, reject: false)), .verdict(.drop)])
            add(Layout.endpointsChain, guardFor(kind) + [.inSet(key(kind), DispatchNames.noEndpoints(kind, reject: true)), .goto(Layout.rejectChain)])
        }
        add(Layout.endpointsChain, [.inSet(daddr, Layout.clusterIPs), .goto(Layout.rejectChain)], "unserved ClusterIP port")
        if !node.serviceCIDRs(of: ipFamily).isEmpty {
            add(Layout.endpointsChain, [.inSet(daddr, Layout.serviceCIDRs), .verdict(.drop)], "unallocated ClusterIP")
        }

        // services: masquerade marks first (dnat ends the chain), then short-circuits, then dispatch.
        let services = Layout.servicesChain
        if let localDNSMark { add(services, localDNSMark, "node-local DNS") }
        if hasClusterCIDRs && !config.masqueradeAll {
            // kube-proxy's --cluster-cidr rule: a ClusterIP reached from outside the pod network.
            add(services, [.inSet(daddr, Layout.clusterIPs), .notInSet(saddr, Layout.clusterCIDRs), .markOr(mark)], "off-cluster client")
        }
        for kind in FrontendKind.allCases {
            // External traffic with policy Cluster (or everything, with masqueradeAll).
            add(services, guardFor(kind) + [.inSet(key(kind), DispatchNames.masquerade(kind)), .markOr(mark)])
        }
        for kind in FrontendKind.allCases {
            let shortcut = DispatchNames(kind: kind, view: .shortcut).dispatchChain
            if hasClusterCIDRs {
                add(services, guardFor(kind) + [.inSet(key(kind), DispatchNames.local(kind)), .inSet(saddr, Layout.clusterCIDRs), .goto(shortcut)],
                    "pods skip externalTrafficPolicy Local")
            }
            add(services, guardFor(kind) + [.inSet(key(kind), DispatchNames.local(kind)), .match(.fib(.sourceType), .equal, .value(.addressType(.local))),
                                             .markOr(mark), .goto(shortcut)], "the node skips externalTrafficPolicy Local")
        }
        // Dispatch, per view and kind: the verdict map of per-service chains, then one rule per table size.
        for view in DispatchView.allCases {
            for kind in FrontendKind.allCases {
                let names = DispatchNames(kind: kind, view: view)
                add(names.dispatchChain, guardFor(kind) + [.verdictMap(key(kind), map: names.chains)])
                for dispatch in tables.filter({ $0.names == names }).sorted() {
                    let slotKey: Expression = .concat(key(kind).fields + [selector(dispatch.size, model: dispatch.model ?? config.dispatch)])
                    add(names.dispatchChain, guardFor(kind) + [.inSet(key(kind), dispatch.setName), .dnat(.map(slotKey, map: names.slots), family: nil)])
                }
            }
        }

        // masquerading: hairpin, then everything marked, once (the mark is cleared so a second pass does not).
        let status: Statement = .match(.ct(.status), .equal, .value(.ctStatus([.dnat])))
        add(Layout.masqueradingChain, [status, .inSet(.concat([saddr, daddr]), Layout.hairpin), .markOr(mark)], "hairpin")
        add(Layout.masqueradingChain, [.match(.bitwise(.meta(.mark), .and, mark), .equal, .value(.mark(0))), .verdict(.return)])
        add(Layout.masqueradingChain, [.markXor(mark)])
        add(Layout.masqueradingChain, [.masquerade(fullyRandom: true)])
        return rules
    }

    /// The rules of the dispatch chains alone (what a new or retired table size rewrites).
    static let dispatchChains: [String] = [Layout.servicesChain] + FrontendKind.allCases.map { DispatchNames(kind: $0, view: .shortcut).dispatchChain }

    // MARK: The whole skeleton

    /// The fixed layout for the dispatch tables in use: table, sets (with the node's addresses and
    /// cluster CIDRs), base and helper chains with their rules.
    func skeleton(_ tables: Set<DispatchTable>) -> Ruleset.TableState {
        var ruleset = Ruleset()
        ruleset.add(Table(table, comment: "rules for Kubernetes services"))
        for set in sets(tables) { ruleset.add(set) }
        ruleset.add(Elements(table, Layout.nodePortIPs, node.nodePortAddresses(of: ipFamily).map { Element([.address(Address($0))]) }))
        ruleset.add(Elements(table, Layout.clusterCIDRs, config.localTrafficCIDRs(of: ipFamily, node: node).map { Element([.prefix(Prefix($0))]) }))
        if !node.serviceCIDRs(of: ipFamily).isEmpty {
            ruleset.add(Elements(table, Layout.serviceCIDRs, node.serviceCIDRs(of: ipFamily).map { Element([.prefix(Prefix($0))]) }))
        }
        for base in Layout.baseChains {
            ruleset.add(Chain(table, base.name, base: base.spec))
            ruleset.append(Rule(table, base.name, (base.newOnly ? [.ctState(.new)] : []) + [.jump(base.jumpsTo)]))
        }
        for name in Layout.regularChains { ruleset.add(Chain(table, name)) }
        for rule in rules(tables) { ruleset.append(rule) }
        if let localDNS = config.localDNS {
            let frontends = node.localDNSAddresses(of: ipFamily).flatMap { address in
                [L4Proto.udp, .tcp].map { Element([.address(Address(address)), .proto($0), .port(ProxyConfig.LocalDNSDelivery.port)]) }
            }
            ruleset.add(Elements(table, Layout.localDNS, frontends))
            // A transparent socket is only this node's DNS (setting IP_TRANSPARENT needs CAP_NET_ADMIN);
            // when it is gone (not started, stopped) the query goes on to the Service's endpoints.
            ruleset.add(Chain(table, Layout.localDNSChain, base: BaseChainSpec(type: .filter, hook: .prerouting, priority: Priority(.mangle))))
            // A flow already DNATed to an endpoint (begun while the daemon was away) stays there; a
            // flow answered here stays here while a stopping daemon drains its withdrawn socket
            // (it deletes these entries, so the flow's next query starts over).
            let notDNATed = Statement.match(.ct(.status), .notEqual, .value(.ctStatus([.dnat])))
            ruleset.append(Rule(table, Layout.localDNSChain, [
                .inSet(key(.service), Layout.localDNS), notDNATed, .match(.ct(.state), .equal, .value(.ctState([.established]))),
                .markOr(localDNS.mark),
            ], comment: "a flow this node's DNS answers"))
            ruleset.append(Rule(table, Layout.localDNSChain, [
                .inSet(key(.service), Layout.localDNS), notDNATed, .match(.socket(.transparent), .equal, .value(.integer(1))), .markOr(localDNS.mark),
            ], comment: "answered by this node's DNS"))
        }
        return ruleset.tables[table] ?? Ruleset.TableState(table: Table(table))
    }
}
