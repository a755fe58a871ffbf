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

    // Restore texts are ASCII and run to 100,000s of lines: they are read as UTF-8 bytes (splitting a
    // String by Character spent most of a sync's CPU in grapheme breaking).
    private typealias Line = Substring.UTF8View
    private static let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " ")

    private static func lines(_ text: String) -> [Line] {
        text.utf8.split(separator: newline, omittingEmptySubsequences: false)
    }

    /// The first word after `prefixLength` bytes (`*nat` → `nat`, `:KUBE-SVC-X - [0:0]` → `KUBE-SVC-X`).
    private static func word(_ line: Line, after prefixLength: Int) -> Line {
        line.dropFirst(prefixLength).prefix { $0 != space }
    }

    /// Chains a restore declares, by table (`:NAME - [0:0]` lines under `*TABLE`).
    public static func chains(in text: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var table = ""
        for line in lines(text) {
            if line.first == UInt8(ascii: "*") {
                table = String(Substring(word(line, after: 1)))
            } else if line.starts(with: ":KUBE-".utf8) {
                result[table, default: []].insert(String(Substring(word(line, after: 1))))
            }
        }
        return result
    }

    private static let perServicePrefixes = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-SEP-", "KUBE-EXT-", "KUBE-FW-"]

    /// Whether a chain is one of a Service's (the fixed chains stay whatever the Services).
    static func isPerService(_ chain: String) -> Bool {
        perServicePrefixes.contains { chain.hasPrefix($0) }
    }

    private static func isPerService(_ chain: Line) -> Bool {
        perServicePrefixes.contains { chain.starts(with: $0.utf8) }
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
        for line in lines(full) {
            if line.first == UInt8(ascii: "*") { table = String(Substring(word(line, after: 1))) }
            let chain: Line? = line.first == UInt8(ascii: ":") ? word(line, after: 1)
                : line.starts(with: "-A ".utf8) ? word(line, after: 3) : nil
            if let chain, isPerService(chain), !changed.contains(String(Substring(chain))) { continue }
            if line.elementsEqual("COMMIT".utf8) {
                let stale = (existing[table] ?? []).subtracting(wanted[table] ?? []).filter(isPerService).sorted()
                out += stale.map { Substring(":\($0) - [0:0]") }
                out += stale.map { Substring("-X \($0)") }
            }
            out.append(Substring(line))
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
