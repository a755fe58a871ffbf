import ArgumentParser
import SwitchyardDaemon
import SwitchyardIptables
import SwitchyardLB
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardSystem

/// `switchyard cleanup`: removes everything Switchyard programmed — its `ip` and `ip6` tables, the
/// iptables mode's KUBE-* chains (as `kube-proxy --cleanup` does: the names are kube-proxy's) and the
/// policy route of node-local DNS — and nothing else. Needs no cluster access (kube-proxy's `--cleanup` needing a kubeconfig is #94914).
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Delete what Switchyard programmed: its nftables tables (ip and ip6 'switchyard'), the iptables mode's KUBE-* chains, the node-local DNS policy route; safe to run twice."
    )

    @Option(help: "Network namespace to clean (a name under /var/run/netns, or a path) instead of the current one.")
    var netns: String?

    func run() throws {
        let namespace = NetworkNamespace(netns)
        let socket = try NetfilterSocket(namespace: namespace)
        let deleted = try socket.deleteTables(named: OwnedTables.name)
        if deleted.isEmpty {
            print("cleanup: no Switchyard tables in \(namespace); nothing to do")
        } else {
            print("cleanup: deleted " + deleted.map { "table \($0)" }.joined(separator: ", ") + " in \(namespace)")
        }
        // iptables mode: kube-proxy's layout (the jumps, then every KUBE-* chain of filter and nat).
        let chains = try IptablesTools.cleanup(namespace: namespace)
        if !chains.isEmpty {
            print("cleanup: deleted \(chains.count) iptables chains (KUBE-*) and their jumps in \(namespace)")
        }
        let route = LocalDeliveryRoute(mark: ProxyConfig.LocalDNSDelivery.defaultMark)
        if try route.remove(in: namespace) {
            print("cleanup: deleted the local-delivery policy route of node-local DNS and userspace mode (\(route)) in \(namespace)")
        }
    }
}
