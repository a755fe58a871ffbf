import ArgumentParser
import SwitchyardLB
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardSystem

/// `switchyard cleanup`: removes everything Switchyard programmed — its `ip` and `ip6` tables and the
/// policy route of node-local DNS — and nothing else. Needs no cluster access (kube-proxy's `--cleanup` needing a kubeconfig is #94914).
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Delete the nftables tables Switchyard owns (ip and ip6 'switchyard') and its node-local DNS policy route; safe to run twice."
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
        let route = LocalDeliveryRoute(mark: ProxyConfig.LocalDNSDelivery.defaultMark)
        if try route.remove(in: namespace) {
            print("cleanup: deleted the node-local DNS policy route (\(route)) in \(namespace)")
        }
    }
}
