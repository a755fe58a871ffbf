import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT

/// Turns plans into the wanted ruleset: one table per family with the fixed layout (``Layout``), the
/// frontends and slots of every service port as set and map elements, and per-service chains only for
/// `chains` dispatch and session affinity. Pure and deterministic.
public enum Compiler {
    /// Compiles every plan of `plan` (both families) for `config`.
    public static func compile(_ plan: ClusterPlan, config: ProxyConfig) -> Ruleset {
        compile(plan.servicePorts, node: plan.node, config: config)
    }

    /// Compiles `plans` (any order) for the node `node`.
    public static func compile(_ plans: [ServicePortPlan], node: NodeContext, config: ProxyConfig) -> Ruleset {
        var ruleset = Ruleset()
        for family in IPFamily.allCases {
            var builder = TableBuilder(family: family, node: node, config: config)
            builder.reserveSlots(for: plans)
            // By index: a `for plan in plans` copy of each plan (arrays, strings) cost more than adding it.
            for index in plans.indices where plans[index].family == family { builder.add(plans[index]) }
            builder.skeleton(moduli: builder.contribution.moduli, into: &ruleset)
            builder.contribution.merge(into: &ruleset, table: builder.table, addressType: builder.addressType)
        }
        return ruleset
    }

    /// What one plan adds to its family's table (elements, per-service chains, affinity sets, moduli).
    static func contribution(of plan: ServicePortPlan, node: NodeContext, config: ProxyConfig) -> Contribution {
        var builder = TableBuilder(family: plan.family, node: node, config: config)
        builder.add(plan)
        return builder.contribution
    }

    /// The fixed part of one family's table for the given dispatch sizes.
    static func skeleton(family: IPFamily, node: NodeContext, config: ProxyConfig, moduli: [DispatchNames: Swift.Set<Int>], into ruleset: inout Ruleset) {
        TableBuilder(family: family, node: node, config: config).skeleton(moduli: moduli, into: &ruleset)
    }
}

/// What service ports put into one family's table beyond the fixed layout. Sums of contributions are
/// the whole dynamic part, so an incremental compiler can add and remove them per Service.
struct Contribution: Sendable, Hashable {
    /// Set name → elements (may repeat keys across plans: hairpin pairs, ClusterIPs of multi-port services).
    var elements: [String: [Element]] = [:]
    /// Distinct dispatch-table sizes per key kind and view: one rule and one set each.
    var moduli: [DispatchNames: Swift.Set<Int>] = [:]
    /// Per-service chains (`chains` dispatch, session affinity) with their rules.
    var serviceChains: [String: [Rule]] = [:]
    /// Dynamic affinity sets and their timeouts.
    var affinitySets: [String: Int] = [:]

    mutating func merge(_ other: Contribution) {
        for (name, list) in other.elements { elements[name, default: []] += list }
        for (names, sizes) in other.moduli { moduli[names, default: []].formUnion(sizes) }
        serviceChains.merge(other.serviceChains) { a, _ in a }
        affinitySets.merge(other.affinitySets) { a, _ in a }
    }

    /// What to count out of `old` and into `new` so that the totals move from one to the other: the
    /// elements, sizes, chains and affinity sets that differ. Elements are multisets (a ClusterIP
    /// appears once per port), so equal copies cancel one for one.
    static func changes(from old: Contribution, to new: Contribution) -> (removed: Contribution, added: Contribution) {
        var removed = Contribution()
        var added = Contribution()
        for name in Swift.Set(old.elements.keys).union(new.elements.keys) {
            var remaining: [Element: Int] = [:]
            for element in old.elements[name] ?? [] { remaining[element, default: 0] += 1 }
            for element in new.elements[name] ?? [] {
                if let count = remaining[element], count > 0 {
                    remaining[element] = count - 1
                } else {
                    added.elements[name, default: []].append(element)
                }
            }
            for element in old.elements[name] ?? [] {
                guard let count = remaining[element], count > 0 else { continue }
                remaining[element] = count - 1
                removed.elements[name, default: []].append(element)
            }
        }
        for names in Swift.Set(old.moduli.keys).union(new.moduli.keys) {
            let before = old.moduli[names] ?? [], after = new.moduli[names] ?? []
            if !before.subtracting(after).isEmpty { removed.moduli[names] = before.subtracting(after) }
            if !after.subtracting(before).isEmpty { added.moduli[names] = after.subtracting(before) }
        }
        for (name, timeout) in old.affinitySets where new.affinitySets[name] != timeout { removed.affinitySets[name] = timeout }
        for (name, timeout) in new.affinitySets where old.affinitySets[name] != timeout { added.affinitySets[name] = timeout }
        // A recreated affinity set takes the chains that use it along (their rules must be rewritten
        // around the delete), so with any affinity change every chain counts as changed.
        let affinityChanged = !removed.affinitySets.isEmpty || !added.affinitySets.isEmpty
        for (name, rules) in old.serviceChains where affinityChanged || new.serviceChains[name] != rules { removed.serviceChains[name] = rules }
        for (name, rules) in new.serviceChains where affinityChanged || old.serviceChains[name] != rules { added.serviceChains[name] = rules }
        return (removed, added)
    }

    /// Adds the chains, affinity sets and elements to `ruleset` (whose skeleton declares the sets).
    func merge(into ruleset: inout Ruleset, table: TableRef, addressType: DataType) {
        for (name, timeout) in affinitySets {
            ruleset.add(NamedSet(table, name, key: .types([addressType]), flags: [.dynamic, .timeout], timeout: timeout))
        }
        for (name, rules) in serviceChains {
            ruleset.add(Chain(table, name))
            for rule in rules { ruleset.append(rule) }
        }
        for (name, list) in elements { ruleset.add(Elements(table, name, list)) }
    }
}

/// Builds one family's table.
struct TableBuilder {
    let ipFamily: IPFamily
    let family: Family
    let table: TableRef
    let config: ProxyConfig
    let node: NodeContext
    let mark: UInt32
    let saddr: Expression
    let daddr: Expression
    let addressType: DataType

    var contribution = Contribution()

    init(family ipFamily: IPFamily, node: NodeContext, config: ProxyConfig) {
        self.ipFamily = ipFamily
        family = Family(ipFamily)
        table = TableRef(family, OwnedTables.name)
        self.config = config
        self.node = node
        mark = config.masqueradeMark
        saddr = family == .ip ? .payload(.ipSaddr) : .payload(.ip6Saddr)
        daddr = family == .ip ? .payload(.ipDaddr) : .payload(.ip6Daddr)
        addressType = family == .ip ? .ipv4Address : .ipv6Address
    }

    var hasClusterCIDRs: Bool { !config.clusterCIDRs(of: ipFamily).isEmpty }
    var frontendKey: Expression { .concat([daddr, .meta(.l4proto), .payload(.thDport)]) }
    var nodePortKey: Expression { .concat([.meta(.l4proto), .payload(.thDport)]) }
    func key(_ kind: FrontendKind) -> Expression { kind == .service ? frontendKey : nodePortKey }

    // MARK: Per service port

    mutating func add(_ plan: ServicePortPlan) {
        let proto = L4Proto(plan.protocol)
        let usesChains = config.dispatch == .chains || plan.sessionAffinityTimeout != nil
        append(Layout.clusterIPs, Element(FieldTuple(.address(Address(plan.clusterIP)))))

        let clusterKey = FieldTuple(.address(Address(plan.clusterIP)), .proto(proto), .port(UInt16(clamping: plan.port)))
        route(clusterKey, .service, plan.internal, plan, usesChains: usesChains)
        if config.masqueradeAll { append(DispatchNames.masquerade(.service), Element(clusterKey)) }

        var external: [(FrontendKind, FieldTuple)] = (plan.externalIPs + plan.loadBalancerIPs).map {
            (.service, [.address(Address($0)), .proto(proto), .port(UInt16(clamping: plan.port))])
        }
        if plan.nodePort != 0, !node.nodePortAddresses(of: ipFamily).isEmpty {
            external.append((.nodeport, [.proto(proto), .port(UInt16(clamping: plan.nodePort))]))
        }
        for (kind, key) in external {
            route(key, kind, plan.external, plan, usesChains: usesChains)
            if plan.externalTrafficPolicy == .local {
                append(DispatchNames.local(kind), Element(key))
                route(key, kind, plan.cluster, plan, usesChains: usesChains, view: .shortcut)
            } else {
                append(DispatchNames.masquerade(kind), Element(key))
            }
        }
        if plan.restrictsLoadBalancerSources {
            for ip in plan.loadBalancerIPs {
                let key: FieldTuple = [.address(Address(ip)), .proto(proto), .port(UInt16(clamping: plan.port))]
                append(Layout.firewallFrontends, Element(key))
                for range in plan.loadBalancerSourceRanges { append(Layout.firewallAllow, Element(key.appending(.prefix(Prefix(range))))) }
            }
        }
        // Hairpin pairs only for endpoints that can be the client of a flow DNATed here: pods on this
        // node, and endpoints no node claims (addresses outside the pod network). A pod on another node
        // reaches a ClusterIP through its own node's proxy; it reaches this node's external frontends
        // masqueraded already (policy Cluster) or not at all (policy Local dispatches to local pods).
        // So the set holds this node's pods, not the cluster's: 1% of 100k pairs at 100 nodes.
        for endpoint in plan.reachableEndpoints(where: { $0.isLocal || $0.nodeName == nil }) {
            append(Layout.hairpin, Element(FieldTuple(.address(Address(endpoint.ip)), .address(Address(endpoint.ip)))))
        }
    }

    /// Sends `key` to `set`: slots (or a per-service chain) when it has endpoints, else reject/drop.
    mutating func route(_ key: FieldTuple, _ kind: FrontendKind, _ set: EndpointSet, _ plan: ServicePortPlan,
                        usesChains: Bool, view: DispatchView = .primary) {
        let names = DispatchNames(kind: kind, view: view)
        guard !set.isEmpty else {
            if view == .primary { append(DispatchNames.noEndpoints(kind, reject: set.ifEmpty == .reject), Element(key)) }
            return
        }
        if usesChains {
            let chain = set == plan.cluster ? Names.serviceChain(plan.name) : Names.localChain(plan.name)
            buildServiceChain(chain, set, plan)
            append(names.chains, Element(key, .verdict(.goto(chain))))
            return
        }
        let size = set.table.size
        contribution.moduli[names, default: []].insert(size)
        append(names.modulus(size), Element(key))
        // One dictionary access for the whole table: this loop makes most of a full sync's elements.
        contribution.elements[names.slots, default: []].append(contentsOf: (0..<size).lazy.compactMap { slot in
            set.endpoint(inSlot: slot).map { endpoint in
                Element(key.appending(.integer(UInt32(slot))), .values(FieldTuple(.address(Address(endpoint.ip)), .port(UInt16(clamping: endpoint.port)))))
            }
        })
    }

    /// The iptables-style cascade over `set`, with ClientIP affinity sets in front when configured.
    mutating func buildServiceChain(_ name: String, _ set: EndpointSet, _ plan: ServicePortPlan) {
        guard contribution.serviceChains[name] == nil else { return }
        let proto = L4Proto(plan.protocol)
        var rules: [Rule] = []
        func dnat(_ endpoint: EndpointAddress) -> [Statement] {
            [.l4proto(proto), .dnat(.address(Address(endpoint.ip), port: UInt16(clamping: endpoint.port)), family: nil)]
        }
        if let timeout = plan.sessionAffinityTimeout {
            for endpoint in set.endpoints {
                let affinity = Names.affinitySet(plan.name, endpoint)
                contribution.affinitySets[affinity] = timeout
                rules.append(Rule(table, name, [.inSet(saddr, affinity), .setUpdate(.update, set: affinity, key: saddr, timeout: nil, data: nil)] + dnat(endpoint)))
            }
        }
        let count = set.endpoints.count
        for (index, endpoint) in set.endpoints.enumerated() {
            var statements: [Statement] = []
            if let modulus = ProbabilityCascade.modulus(index: index, of: count) {
                statements.append(.match(.numgen(.random, modulus: UInt32(modulus)), .equal, .value(.integer(0))))
            }
            if plan.sessionAffinityTimeout != nil {
                let affinity = Names.affinitySet(plan.name, endpoint)
                statements.append(.setUpdate(.update, set: affinity, key: saddr, timeout: nil, data: nil))
            }
            rules.append(Rule(table, name, statements + dnat(endpoint)))
        }
        contribution.serviceChains[name] = rules
    }

    /// Sizes the ClusterIP slot map for `plans` up front: it takes most of a full sync's elements, and
    /// growing it by doubling copied each ~200-byte element twice more.
    mutating func reserveSlots(for plans: [ServicePortPlan]) {
        guard config.dispatch != .chains else { return }
        var slots = 0
        for index in plans.indices where plans[index].family == ipFamily && plans[index].sessionAffinityTimeout == nil {
            slots += plans[index].internal.table.size
        }
        contribution.elements[DispatchNames(kind: .service, view: .primary).slots, default: []].reserveCapacity(slots)
    }

    mutating func append(_ set: String, _ element: Element) {
        contribution.elements[set, default: []].append(element)
    }

    // MARK: The fixed layout

    func selector(_ size: Int, kind: FrontendKind) -> Expression {
        let modulus = UInt32(size)
        switch config.dispatch {
        case .chains, .random: return .numgen(.random, modulus: modulus)
        case .roundrobin: return .numgen(.inc, modulus: modulus)
        case .sourcehash: return .jhash(saddr, modulus: modulus, seed: 0)
        case .maglev: return .jhash(.concat([saddr, .payload(.thSport)]), modulus: modulus, seed: 0)
        }
    }

    func slotMap(_ names: DispatchNames) -> NamedSet {
        let keyFields: [Expression] = names.kind == .service ? [daddr, .meta(.l4proto), .payload(.thDport)] : [.meta(.l4proto), .payload(.thDport)]
        return NamedSet(table, names.slots, key: .typeOf(keyFields + [.numgen(.random, modulus: 1)]),
                        data: .data(.typeOf([daddr, .payload(.thDport)])))
    }

    func keyTypes(_ kind: FrontendKind) -> KeySpec {
        kind == .service ? .types([addressType, .inetProto, .inetService]) : .types([.inetProto, .inetService])
    }

    /// `ip daddr @nodeport-ips` in front of NodePort keys.
    func guardFor(_ kind: FrontendKind) -> [Statement] {
        kind == .nodeport ? [.inSet(daddr, Layout.nodePortIPs)] : []
    }

    /// The fixed layout for `moduli`: table, sets (with the node's addresses and cluster CIDRs), base and
    /// helper chains with their rules.
    func skeleton(moduli: [DispatchNames: Swift.Set<Int>], into ruleset: inout Ruleset) {
        ruleset.add(Table(table, comment: "rules for Kubernetes services"))
        var sets: [NamedSet] = [
            NamedSet(table, Layout.clusterIPs, key: .types([addressType]), comment: "every ClusterIP"),
            NamedSet(table, Layout.nodePortIPs, key: .types([addressType]), comment: "addresses that accept NodePorts"),
            NamedSet(table, Layout.clusterCIDRs, key: .types([addressType]), flags: [.interval], comment: "pod addresses"),
            NamedSet(table, Layout.hairpin, key: .types([addressType, addressType]), comment: "endpoint reaching itself"),
            NamedSet(table, Layout.firewallFrontends, key: keyTypes(.service), comment: "LB frontends with source ranges"),
            NamedSet(table, Layout.firewallAllow, key: .types([addressType, .inetProto, .inetService, addressType]), flags: [.interval],
                     comment: "LB frontend . allowed source"),
        ]
        for kind in FrontendKind.allCases {
            sets.append(NamedSet(table, DispatchNames.noEndpoints(kind, reject: true), key: keyTypes(kind)))
            sets.append(NamedSet(table, DispatchNames.noEndpoints(kind, reject: false), key: keyTypes(kind)))
            sets.append(NamedSet(table, DispatchNames.masquerade(kind), key: keyTypes(kind)))
            sets.append(NamedSet(table, DispatchNames.local(kind), key: keyTypes(kind)))
            for view in DispatchView.allCases {
                let names = DispatchNames(kind: kind, view: view)
                sets.append(slotMap(names))
                sets.append(NamedSet(table, names.chains, key: keyTypes(kind), data: .verdict))
                for size in (moduli[names] ?? []).sorted() { sets.append(NamedSet(table, names.modulus(size), key: keyTypes(kind))) }
            }
        }
        for set in sets { ruleset.add(set) }
        ruleset.add(Elements(table, Layout.nodePortIPs, node.nodePortAddresses(of: ipFamily).map { Element([.address(Address($0))]) }))
        ruleset.add(Elements(table, Layout.clusterCIDRs, config.clusterCIDRs(of: ipFamily).map { Element([.prefix(Prefix($0))]) }))

        for base in Layout.baseChains {
            ruleset.add(Chain(table, base.name, base: base.spec))
            ruleset.append(Rule(table, base.name, (base.newOnly ? [.ctState(.new)] : []) + [.jump(base.jumpsTo)]))
        }
        for name in [Layout.servicesChain, Layout.firewallChain, Layout.endpointsChain, Layout.rejectChain, Layout.masqueradingChain]
            + FrontendKind.allCases.map({ DispatchNames(kind: $0, view: .shortcut).dispatchChain }) {
            ruleset.add(Chain(table, name))
        }
        for rule in fixedRules(moduli: moduli) { ruleset.append(rule) }
    }

    func fixedRules(moduli: [DispatchNames: Swift.Set<Int>]) -> [Rule] {
        var rules: [Rule] = []
        func add(_ chain: String, _ statements: [Statement], _ comment: String? = nil) {
            rules.append(Rule(table, chain, statements, comment: comment))
        }
        // reject-chain: a TCP reset for TCP, ICMP port unreachable otherwise.
        add(Layout.rejectChain, [.reject(.tcpReset)])
        add(Layout.rejectChain, [.reject(.portUnreachable)])

        // firewall-check: LB frontends with source ranges drop other sources.
        add(Layout.firewallChain, [.inSet(frontendKey, Layout.firewallFrontends),
                                   .notInSet(.concat([daddr, .meta(.l4proto), .payload(.thDport), saddr]), Layout.firewallAllow),
                                   .verdict(.drop)], "loadBalancerSourceRanges")

        // endpoints-check: frontends without endpoints, then unserved ClusterIP ports.
        for kind in FrontendKind.allCases {
            add(Layout.endpointsChain, guardFor(kind) + [.inSet(key(kind), DispatchNames.noEndpoints(kind, reject: false)), .verdict(.drop)])
            add(Layout.endpointsChain, guardFor(kind) + [.inSet(key(kind), DispatchNames.noEndpoints(kind, reject: true)), .goto(Layout.rejectChain)])
        }
        add(Layout.endpointsChain, [.inSet(daddr, Layout.clusterIPs), .goto(Layout.rejectChain)], "unserved ClusterIP port")

        // services: masquerade marks first (dnat ends the chain), then short-circuits, then dispatch.
        let services = Layout.servicesChain
        if hasClusterCIDRs && !config.masqueradeAll {
            add(services, [.inSet(daddr, Layout.clusterIPs), .notInSet(saddr, Layout.clusterCIDRs), .markOr(mark)], "off-cluster client")
        }
        for kind in FrontendKind.allCases {
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
        for view in DispatchView.allCases {
            for kind in FrontendKind.allCases {
                let names = DispatchNames(kind: kind, view: view)
                add(names.dispatchChain, guardFor(kind) + [.verdictMap(key(kind), map: names.chains)])
                for size in (moduli[names] ?? []).sorted() {
                    let slotKey: Expression = .concat(key(kind).fields + [selector(size, kind: kind)])
                    add(names.dispatchChain, guardFor(kind) + [.inSet(key(kind), names.modulus(size)),
                                                               .dnat(.map(slotKey, map: names.slots), family: nil)])
                }
            }
        }

        // masquerading: hairpin, then everything marked, once.
        let status: Statement = .match(.ct(.status), .equal, .value(.ctStatus([.dnat])))
        add(Layout.masqueradingChain, [status, .inSet(.concat([saddr, daddr]), Layout.hairpin), .markOr(mark)], "hairpin")
        add(Layout.masqueradingChain, [.match(.bitwise(.meta(.mark), .and, mark), .equal, .value(.mark(0))), .verdict(.return)])
        add(Layout.masqueradingChain, [.markXor(mark)])
        add(Layout.masqueradingChain, [.masquerade(fullyRandom: true)])
        return rules
    }
}
