import SwitchyardLB
import SwitchyardModel

/// kube-proxy's iptables mode as restore input: the layout of ``IptablesRenderer`` for one family,
/// plus the deletion of the per-Service chains a previous restore made that this one no longer has,
/// and the jump rules from the built-in chains that kube-proxy keeps in place (`iptablesJumpChains`).
public enum IptablesRestore {
    /// A jump from a built-in chain into the layout, checked with `-C` and inserted with `-I` when
    /// missing, as kube-proxy does (a restore with `--noflush` would append a duplicate each time).
    public struct Jump: Sendable, Hashable {
        public var table: String
        public var chain: String
        public var arguments: [String]

        /// `-t TABLE -C|-I CHAIN ARGUMENTS…`.
        public func command(_ operation: String) -> [String] { ["-t", table, operation, chain] + arguments }

        /// `-A CHAIN ARGUMENTS…` as restore input (arguments with spaces quoted), for a restore that
        /// writes the built-in chains whole.
        public var restoreLine: String {
            (["-A", chain] + arguments.map { $0.contains(" ") ? "\"\($0)\"" : $0 }).joined(separator: " ")
        }
    }

    /// kube-proxy's jumps (pkg/proxy/iptables/proxier.go, `iptablesJumpChains`).
    public static let jumps: [Jump] = [
        jump("filter", "INPUT", new: true, "kubernetes externally-visible service portals", "KUBE-EXTERNAL-SERVICES"),
        jump("filter", "FORWARD", new: true, "kubernetes externally-visible service portals", "KUBE-EXTERNAL-SERVICES"),
        jump("filter", "INPUT", new: false, "kubernetes health check service ports", "KUBE-NODEPORTS"),
        jump("filter", "FORWARD", new: true, "kubernetes service portals", "KUBE-SERVICES"),
        jump("filter", "OUTPUT", new: true, "kubernetes service portals", "KUBE-SERVICES"),
        jump("filter", "FORWARD", new: false, "kubernetes forwarding rules", "KUBE-FORWARD"),
        jump("filter", "INPUT", new: true, "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL"),
        jump("filter", "OUTPUT", new: true, "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL"),
        jump("filter", "FORWARD", new: true, "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL"),
        jump("nat", "OUTPUT", new: false, "kubernetes service portals", "KUBE-SERVICES"),
        jump("nat", "PREROUTING", new: false, "kubernetes service portals", "KUBE-SERVICES"),
        jump("nat", "POSTROUTING", new: false, "kubernetes postrouting rules", "KUBE-POSTROUTING"),
    ]

    private static func jump(_ table: String, _ chain: String, new: Bool, _ comment: String, _ target: String) -> Jump {
        Jump(table: table, chain: chain,
             arguments: (new ? ["-m", "conntrack", "--ctstate", "NEW"] : []) + ["-m", "comment", "--comment", comment, "-j", target])
    }

    /// Chains a restore declares, by table (`:NAME - [0:0]` lines under `*TABLE`).
    public static func chains(in text: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var table = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
            } else if line.hasPrefix(":KUBE-"), let name = line.dropFirst().split(separator: " ").first {
                result[table, default: []].insert(String(name))
            }
        }
        return result
    }

    /// Whether a chain is one of a Service's (the fixed chains stay whatever the Services).
    static func isPerService(_ chain: String) -> Bool {
        ["KUBE-SVC-", "KUBE-SVL-", "KUBE-SEP-", "KUBE-EXT-", "KUBE-FW-"].contains { chain.hasPrefix($0) }
    }

    /// `text` (a full restore) with the per-Service chains of `existing` that it no longer declares
    /// flushed and deleted (`:NAME` then `-X NAME` before the table's COMMIT).
    public static func deletingStale(_ existing: [String: Set<String>], from text: String) -> String {
        partial(text, changed: chains(in: text).values.reduce(into: Set()) { $0.formUnion($1) }, existing: existing)
    }

    /// The minimal restore after a change to some Services (kube-proxy's MinimizeIPTablesRestore):
    /// the fixed chains of `full` whole (KUBE-SERVICES and the like list every Service), of the
    /// per-Service chains only `changed` (declared, hence flushed, and refilled), and the deletion of
    /// the per-Service chains in `existing` that `full` no longer has. Unchanged Services' chains are
    /// not touched.
    public static func partial(_ full: String, changed: Set<String>, existing: [String: Set<String>]) -> String {
        let wanted = chains(in: full)
        var out: [Substring] = []
        var table = ""
        for line in full.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("*") { table = String(line.dropFirst()) }
            let chain: Substring? = line.hasPrefix(":") ? line.dropFirst().split(separator: " ").first
                : line.hasPrefix("-A ") ? line.dropFirst(3).split(separator: " ").first : nil
            if let chain, isPerService(String(chain)), !changed.contains(String(chain)) { continue }
            if line == "COMMIT" {
                let stale = (existing[table] ?? []).subtracting(wanted[table] ?? []).filter(isPerService).sorted()
                out += stale.map { Substring(":\($0) - [0:0]") }
                out += stale.map { Substring("-X \($0)") }
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    /// A restore that empties and deletes every chain in `existing` (cleanup): the jumps into them
    /// must be gone first.
    public static func deletingAll(_ existing: [String: Set<String>]) -> String {
        var lines: [String] = []
        for (table, names) in existing.sorted(by: { $0.key < $1.key }) where !names.isEmpty {
            lines.append("*\(table)")
            lines += names.sorted().map { ":\($0) - [0:0]" }
            lines += names.sorted().map { "-X \($0)" }
            lines.append("COMMIT")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
