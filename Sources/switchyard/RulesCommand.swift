import ArgumentParser
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules
import SwitchyardSources
import SwitchyardSystem

/// `switchyard rules PATH…`: prints exactly the transaction a full sync would commit for these
/// manifests, computed by the same pipeline the daemon runs (plan → compile → diff from empty).
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Print the ruleset a full sync would commit for the given manifests (dry run)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case nft, iptables, plan
    }

    @Argument(help: "Manifest files or directories (YAML or JSON, kubectl style).")
    var paths: [String]

    @Option(help: "This node's name (default: the only Node in the manifests).")
    var node: String?

    @Option(help: "Output: nft (nft -f text), iptables (iptables-restore text, chains model), plan.")
    var format: Format = .nft

    @Option(help: "Dispatch model: \(DispatchModel.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dispatch: String = DispatchModel.default.rawValue

    @Option(name: .customLong("cluster-cidr"), help: "Pod CIDRs (repeat or comma-separate); off-cluster sources are masqueraded.")
    var clusterCIDRs: [String] = []

    @Option(name: .customLong("service-cidr"), help: "ClusterIP ranges (repeat or comma-separate); traffic to an address inside that no Service holds is dropped.")
    var serviceCIDRs: [String] = []

    @Option(name: .customLong("nodeport-addresses"), help: "'primary' (default) or CIDRs of host addresses that accept NodePorts.")
    var nodePortAddresses: [String] = []

    @Flag(name: .customLong("masquerade-all"), help: "Masquerade all traffic to ClusterIPs.")
    var masqueradeAll = false

    @Flag(help: "Commit the full sync to the kernel (over netlink, one transaction, reconciling with what is there) and print a summary.")
    var apply = false

    @Option(help: "With --apply: the network namespace to program (a name under /var/run/netns, or a path).")
    var netns: String?

    func validate() throws {
        if netns != nil && !apply { throw ValidationError("--netns needs --apply") }
        _ = try parsedCIDRs()
        _ = try Self.cidrs(serviceCIDRs, flag: "--service-cidr")
        do {
            _ = try DispatchModel(parsing: dispatch)
            _ = try NodePortAddresses(parsing: nodePortAddresses)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func parsedCIDRs() throws -> [CIDR] {
        try Self.cidrs(clusterCIDRs, flag: "--cluster-cidr")
    }

    static func cidrs(_ values: [String], flag: String) throws -> [CIDR] {
        do {
            return try values.flatMap { item throws(CIDRListError) in try CIDR.list(parsing: item) }
        } catch {
            throw ValidationError("\(flag): \(error)")
        }
    }

    func run() throws {
        let objects = try ManifestLoader().load(paths: paths)
        var store = ClusterStore()
        store.apply(objects.map { ClusterEvent.added($0) })
        let snapshot = store.snapshot
        let nodeName: String
        if let node {
            nodeName = node
        } else if snapshot.nodes.count == 1, let only = snapshot.nodes.keys.first {
            nodeName = only
        } else {
            throw ValidationError("--node is required: the manifests have \(snapshot.nodes.count) Node objects")
        }
        let nodePorts = try NodePortAddresses(parsing: nodePortAddresses)
        // NodePorts on CIDRs: the interface addresses inside them, of the namespace programmed (or
        // this one), as kube-proxy matches them.
        var hostAddresses: [IPAddress] = []
        if case .cidrs = nodePorts { hostAddresses = try HostAddresses.list(in: NetworkNamespace(netns)) }
        var config = ProxyConfig(
            nodeName: nodeName, nodePortAddresses: nodePorts, hostAddresses: hostAddresses,
            clusterCIDRs: try parsedCIDRs(), masqueradeAll: masqueradeAll, dispatch: try DispatchModel(parsing: dispatch)
        )
        config.serviceCIDRs = try Self.cidrs(serviceCIDRs, flag: "--service-cidr")
        try config.validate()
        let result = RulesPipeline.sync(snapshot: snapshot, config: config)
        // Never print or apply a transaction with refused operations as if it were whole.
        try result.transaction.checkCommittable()
        if apply {
            try commit(result.ruleset)
            return
        }
        switch format {
        case .nft:
            print(result.transaction.render(), terminator: "")
        case .iptables:
            for (family, text) in RulesPipeline.iptables(result.plan, config: config) {
                print("# \(family == .ipv4 ? "iptables-restore" : "ip6tables-restore")")
                print(text, terminator: "")
            }
        case .plan:
            print(PlanText.render(result.plan), terminator: "")
        }
    }
}

extension RulesCommand {
    /// Programs `ruleset` (both families' tables) and prints one line: what changed and how long it took.
    func commit(_ ruleset: Ruleset) throws {
        let namespace = NetworkNamespace(netns)
        let clock = ContinuousClock()
        let start = clock.now
        let programmer = try NetfilterProgrammer(namespace: namespace)
        let tables = OwnedTables.all
        let summary = try programmer.reconcile(to: ruleset, tables: tables)
        let elapsed = clock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let time = String(Int(milliseconds * 10) / 10) + "." + String(Int(milliseconds * 10) % 10) + " ms"
        if let commit = summary.commit {
            print("applied to \(namespace): \(summary.added) objects added, \(summary.removed) deleted or flushed, "
                  + "\(summary.operations) operations in one transaction (\(commit.messages) netlink messages, \(commit.bytes) bytes), \(time)")
        } else {
            print("applied to \(namespace): already up to date, nothing sent (\(time))")
        }
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
