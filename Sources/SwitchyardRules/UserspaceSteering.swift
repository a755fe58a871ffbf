import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT

/// The userspace mode's small fixed table, used when the daemon holds CAP_NET_ADMIN: traffic to a
/// Service's own addresses (ClusterIP, externalIPs, load-balancer IPs) at one of its ports gets the
/// local-delivery mark before routing, and the policy route of ``LocalDeliveryRoute`` hands it to
/// this host, where the userspace proxy's transparent listener bound to that very address and port
/// accepts it. Pods' traffic is marked in prerouting; the node's own in a `route` chain in output (the
/// mark makes the kernel route the packet again). No NAT and no conntrack state: the listener sees the
/// client's address and the frontend it asked for. A frontend without endpoints has no listener, and
/// the input chain refuses its clients (the stack would not answer from an address that is not its
/// own), as the kernel modes reject.
///
/// ```
/// table ip switchyard {
///     set userspace-frontends { type ipv4_addr . inet_proto . inet_service }
///     set userspace-unserved { type ipv4_addr . inet_proto . inet_service }
///     chain userspace-prerouting { type filter hook prerouting priority mangle; … @userspace-frontends meta mark set mark | 0x1000 }
///     chain userspace-output { type route hook output priority mangle; … @userspace-frontends meta mark set mark | 0x1000 }
///     chain userspace-input { type filter hook input priority filter; … @userspace-unserved reject }
/// }
/// ```
public enum UserspaceSteering {
    public static let frontendsSet = "userspace-frontends"
    public static let unservedSet = "userspace-unserved"
    public static let preroutingChain = "userspace-prerouting"
    public static let outputChain = "userspace-output"
    public static let inputChain = "userspace-input"

    /// One element of one of the two sets.
    public struct Entry: Sendable, Hashable {
        public var set: String
        public var frontend: ServiceFrontend
    }

    /// The elements for `plan`: each address frontend steered (TCP and UDP only, the proxy's
    /// protocols), and refused when its endpoint set is empty.
    public static func entries(of plan: ServicePortPlan) -> [Entry] {
        guard plan.protocol != .sctp else { return [] }
        return plan.addressFrontends.flatMap { frontend in
            let endpoints = frontend.address == plan.clusterIP ? plan.internal : plan.external
            return [Entry(set: frontendsSet, frontend: frontend)]
                + (endpoints.endpoints.isEmpty ? [Entry(set: unservedSet, frontend: frontend)] : [])
        }
    }

    /// Both families' tables: the fixed chains and the sets holding `entries`.
    public static func ruleset(_ entries: some Sequence<Entry>, mark: UInt32) -> Ruleset {
        var ruleset = Ruleset()
        for family in IPFamily.allCases {
            let table = TableRef(Family(family), OwnedTables.name)
            let daddr: Expression = family == .ipv4 ? .payload(.ipDaddr) : .payload(.ip6Daddr)
            let key: Expression = .concat([daddr, .meta(.l4proto), .payload(.thDport)])
            ruleset.add(Table(table, comment: "userspace proxy: Service addresses delivered to its listeners"))
            for set in sets(table, family: family) {
                ruleset.add(set)
                ruleset.add(Elements(table, set.name, entries.filter { $0.set == set.name && $0.frontend.address.family == family }
                    .map(\.frontend).sorted().map(element)))
            }
            let steer: [Statement] = [.inSet(key, frontendsSet), .markOr(mark)]
            ruleset.add(Chain(table, preroutingChain, base: BaseChainSpec(type: .filter, hook: .prerouting, priority: Priority(.mangle))))
            ruleset.append(Rule(table, preroutingChain, steer, comment: "pods' traffic to a Service address"))
            ruleset.add(Chain(table, outputChain, base: BaseChainSpec(type: .route, hook: .output, priority: Priority(.mangle))))
            ruleset.append(Rule(table, outputChain, steer, comment: "the node's own traffic to a Service address"))
            ruleset.add(Chain(table, inputChain, base: BaseChainSpec(type: .filter, hook: .input, priority: .filter)))
            ruleset.append(Rule(table, inputChain, [.inSet(key, unservedSet), .reject(.tcpReset)], comment: "no endpoints"))
            ruleset.append(Rule(table, inputChain, [.inSet(key, unservedSet), .reject(.portUnreachable)], comment: "no endpoints"))
        }
        return ruleset
    }

    /// `added` and `removed` elements, one transaction (both families).
    public static func transaction(adding added: some Sequence<Entry>, removing removed: some Sequence<Entry>)
        throws(TransactionError) -> Transaction {
        let definitions = IPFamily.allCases.flatMap { sets(TableRef(Family($0), OwnedTables.name), family: $0) }
        var transaction = Transaction(knowing: definitions)
        for set in definitions {
            let family: IPFamily = set.table.family == .ip ? .ipv4 : .ipv6
            func elements(_ entries: some Sequence<Entry>) -> [Element] {
                entries.filter { $0.set == set.name && $0.frontend.address.family == family }.map(\.frontend).sorted().map(element)
            }
            let deletes = elements(removed)
            let adds = elements(added)
            if !deletes.isEmpty { try transaction.delete(.elements(Elements(set.table, set.name, deletes))) }
            if !adds.isEmpty { try transaction.add(.elements(Elements(set.table, set.name, adds))) }
        }
        return transaction
    }

    static func sets(_ table: TableRef, family: IPFamily) -> [NamedSet] {
        let key: KeySpec = .types([family == .ipv4 ? .ipv4Address : .ipv6Address, .inetProto, .inetService])
        return [NamedSet(table, frontendsSet, key: key, comment: "Service address . protocol . port"),
                NamedSet(table, unservedSet, key: key, comment: "the same, without endpoints")]
    }

    static func element(_ frontend: ServiceFrontend) -> Element {
        Element([.address(Address(frontend.address)), .proto(L4Proto(frontend.proto)), .port(UInt16(clamping: frontend.port))])
    }
}
