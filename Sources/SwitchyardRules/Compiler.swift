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
            var builder = TableBuilder(FamilyLayout(family: family, node: node, config: config))
            builder.reserveSlots(for: plans)
            // By index: a `for plan in plans` copy of each plan (arrays, strings) cost more than adding it.
            for index in plans.indices where plans[index].family == family { builder.add(plans[index]) }
            ruleset.tables[builder.layout.table] = builder.layout.skeleton(builder.contribution.dispatchTables)
            builder.contribution.merge(into: &ruleset, builder.layout)
        }
        return ruleset
    }

    /// What one plan adds to its family's table (elements, per-service chains, affinity sets, table sizes).
    static func contribution(of plan: ServicePortPlan, node: NodeContext, config: ProxyConfig) -> Contribution {
        var builder = TableBuilder(FamilyLayout(family: plan.family, node: node, config: config))
        builder.add(plan)
        return builder.contribution
    }
}

/// What service ports put into one family's table beyond the fixed layout. Sums of contributions are
/// the whole dynamic part, so an incremental compiler can add and remove them per Service.
struct Contribution: Sendable, Hashable {
    /// Set name → elements (may repeat keys across plans: hairpin pairs, ClusterIPs of multi-port services).
    var elements: [String: [Element]] = [:]
    /// Distinct dispatch-table sizes per key kind and view: one rule and one set each.
    var dispatchTables: Set<DispatchTable> = []
    /// Per-service chains (`chains` dispatch, session affinity) with their rules.
    var serviceChains: [String: [Rule]] = [:]
    /// Dynamic affinity sets and their timeouts.
    var affinitySets: [String: Int] = [:]

    mutating func merge(_ other: Contribution) {
        for (name, list) in other.elements { elements[name, default: []] += list }
        dispatchTables.formUnion(other.dispatchTables)
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
            let (gone, came) = multisetChanges(from: old.elements[name] ?? [], to: new.elements[name] ?? [])
            if !gone.isEmpty { removed.elements[name] = gone }
            if !came.isEmpty { added.elements[name] = came }
        }
        removed.dispatchTables = old.dispatchTables.subtracting(new.dispatchTables)
        added.dispatchTables = new.dispatchTables.subtracting(old.dispatchTables)
        for (name, timeout) in old.affinitySets where new.affinitySets[name] != timeout { removed.affinitySets[name] = timeout }
        for (name, timeout) in new.affinitySets where old.affinitySets[name] != timeout { added.affinitySets[name] = timeout }
        // A recreated affinity set takes the chains that use it along (their rules must be rewritten
        // around the delete), so with any affinity change every chain counts as changed.
        let affinityChanged = !removed.affinitySets.isEmpty || !added.affinitySets.isEmpty
        for (name, rules) in old.serviceChains where affinityChanged || new.serviceChains[name] != rules { removed.serviceChains[name] = rules }
        for (name, rules) in new.serviceChains where affinityChanged || old.serviceChains[name] != rules { added.serviceChains[name] = rules }
        return (removed, added)
    }

    /// The elements of `old` not in `new` and those of `new` not in `old`, as multisets. A plan makes
    /// its elements in the same order each time, so the equal heads and tails are dropped by
    /// position first and only the middle is counted in a dictionary (perf, churn at 10,000 × 100:
    /// hashing both whole lists of a 100-endpoint Service for one moved endpoint was 3.3% of the
    /// daemon's samples).
    static func multisetChanges(from old: [Element], to new: [Element]) -> (removed: [Element], added: [Element]) {
        var head = 0
        while head < old.count, head < new.count, old[head] == new[head] { head += 1 }
        var oldEnd = old.count, newEnd = new.count
        while oldEnd > head, newEnd > head, old[oldEnd - 1] == new[newEnd - 1] {
            oldEnd -= 1
            newEnd -= 1
        }
        let gone = old[head..<oldEnd], came = new[head..<newEnd]
        if gone.isEmpty || came.isEmpty { return (Array(gone), Array(came)) }
        var remaining: [Element: Int] = Dictionary(minimumCapacity: gone.count)
        for element in gone { remaining[element, default: 0] += 1 }
        var added: [Element] = []
        for element in came {
            if let count = remaining[element], count > 0 {
                remaining[element] = count - 1
            } else {
                added.append(element)
            }
        }
        var removed: [Element] = []
        for element in gone {
            guard let count = remaining[element], count > 0 else { continue }
            remaining[element] = count - 1
            removed.append(element)
        }
        return (removed, added)
    }

    /// Adds the chains, affinity sets and elements to `ruleset` (whose skeleton declares the sets).
    func merge(into ruleset: inout Ruleset, _ layout: FamilyLayout) {
        for (name, timeout) in affinitySets { ruleset.add(layout.affinitySet(name, timeout: timeout)) }
        for (name, rules) in serviceChains {
            ruleset.add(Chain(layout.table, name))
            for rule in rules { ruleset.append(rule) }
        }
        for (name, list) in elements { ruleset.add(Elements(layout.table, name, list)) }
    }
}

/// Builds one family's dynamic part: what each service port adds to the table.
struct TableBuilder {
    let layout: FamilyLayout
    var contribution = Contribution()

    init(_ layout: FamilyLayout) { self.layout = layout }

    var table: TableRef { layout.table }
    var config: ProxyConfig { layout.config }

    // MARK: Per service port

    mutating func add(_ plan: ServicePortPlan) {
        let proto = L4Proto(plan.protocol)
        // Per-service chain names are derived (hashed) once per plan, and only when used.
        let chains = (plan.dispatch ?? config.dispatch) == .chains || plan.sessionAffinityTimeout != nil ? Names.ServicePortChains(plan.name) : nil
        append(Layout.clusterIPs, Element(FieldTuple(.address(Address(plan.clusterIP)))))

        let clusterKey = FieldTuple(.address(Address(plan.clusterIP)), .proto(proto), .port(UInt16(clamping: plan.port)))
        route(clusterKey, .service, plan.internal, plan, chains: chains)
        if config.masqueradeAll { append(DispatchNames.masquerade(.service), Element(clusterKey)) }

        var external: [(FrontendKind, FieldTuple)] = (plan.externalIPs + plan.loadBalancerIPs).map {
            (.service, [.address(Address($0)), .proto(proto), .port(UInt16(clamping: plan.port))])
        }
        if plan.nodePort != 0, !layout.node.nodePortAddresses(of: layout.ipFamily).isEmpty {
            external.append((.nodeport, [.proto(proto), .port(UInt16(clamping: plan.nodePort))]))
        }
        for (kind, key) in external {
            route(key, kind, plan.external, plan, chains: chains)
            if plan.externalTrafficPolicy == .local {
                append(DispatchNames.local(kind), Element(key))
                route(key, kind, plan.cluster, plan, chains: chains, view: .shortcut)
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
                        chains: Names.ServicePortChains?, view: DispatchView = .primary) {
        let names = DispatchNames(kind: kind, view: view)
        guard !set.isEmpty else {
            if view == .primary { append(DispatchNames.noEndpoints(kind, reject: set.ifEmpty == .reject), Element(key)) }
            return
        }
        if let chains {
            let chain = set == plan.cluster ? chains.cluster : chains.local
            buildServiceChain(chain, set, plan)
            append(names.chains, Element(key, .verdict(.goto(chain))))
            return
        }
        if (plan.dispatch ?? config.dispatch) == .roundrobin {
            // A chain of its own per frontend kind and view: its `numgen inc` counts this Service's
            // flows alone (a shared dispatch rule would share one counter among every Service of the
            // same size). Reached through the kind's verdict map, so dispatch stays O(1).
            let chain = Names.roundRobinChain(plan.name, kind: kind, view: view, local: set != plan.cluster)
            if contribution.serviceChains[chain] == nil {
                let slotKey: Expression = .concat(layout.key(kind).fields + [.numgen(.inc, modulus: UInt32(set.table.size))])
                contribution.serviceChains[chain] = [Rule(table, chain, [.dnat(.map(slotKey, map: names.slots), family: nil)])]
            }
            append(names.chains, Element(key, .verdict(.goto(chain))))
        } else {
            let dispatch = DispatchTable(names, size: set.table.size, model: plan.dispatch)
            contribution.dispatchTables.insert(dispatch)
            append(dispatch.setName, Element(key))
        }
        // One dictionary access for the whole table: this loop makes most of a full sync's elements.
        contribution.elements[names.slots, default: []].append(contentsOf: (0..<set.table.size).lazy.compactMap { slot in
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
        let saddr = layout.saddr
        // One affinity set per endpoint, each name hashed once.
        let affinities = plan.sessionAffinityTimeout == nil ? [] : set.endpoints.map { Names.affinitySet(plan.name, $0) }
        if let timeout = plan.sessionAffinityTimeout {
            for (endpoint, affinity) in zip(set.endpoints, affinities) {
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
            if !affinities.isEmpty {
                let affinity = affinities[index]
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
        for index in plans.indices where plans[index].family == layout.ipFamily && plans[index].sessionAffinityTimeout == nil {
            slots += plans[index].internal.table.size
        }
        contribution.elements[DispatchNames(kind: .service, view: .primary).slots, default: []].reserveCapacity(slots)
    }

    mutating func append(_ set: String, _ element: Element) {
        contribution.elements[set, default: []].append(element)
    }
}
