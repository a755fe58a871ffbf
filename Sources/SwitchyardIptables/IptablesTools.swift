import Foundation
import SwitchyardModel
import SwitchyardRules
import SwitchyardSystem

/// The iptables tools of one variant run inside one namespace: `iptables[-legacy|-nft]-restore`,
/// `-save` and the rule commands, for ``IptablesSync`` and `switchyard cleanup`. Blocking: run it
/// off the Swift concurrency pool.
public struct IptablesTools: Sendable {
    public var namespace: NetworkNamespace
    /// `-legacy`, `-nft` or "" (the host's `iptables`).
    public var variant: String

    public init(namespace: NetworkNamespace, variant: String) {
        self.namespace = namespace
        self.variant = variant
    }

    /// The tool's name per family (`iptables-nft-restore`, `ip6tables-save`, …).
    public func tool(_ family: IPFamily, _ suffix: String) -> String {
        (family == .ipv4 ? "iptables" : "ip6tables") + variant + suffix
    }

    /// Runs `TOOL ARGUMENTS…` inside the namespace (nsenter for another one), with `input`.
    /// (Spawning from a thread inside the namespace instead left a quickly exiting child unreaped by
    /// Foundation's Process, hanging the caller.)
    func execute(_ tool: String, _ arguments: [String], input: String? = nil) throws -> ProcessResult {
        try ProcessRunner.run((namespace.path.map { ["nsenter", "--net=\($0)"] } ?? []) + [tool] + arguments, input: input)
    }

    /// Runs `TOOL ARGUMENTS…` with `input`; an exit status other than 0 is an ``IptablesError``.
    func run(_ tool: String, _ arguments: [String], input: String? = nil) throws {
        let result = try execute(tool, arguments, input: input)
        guard result.status == 0 else {
            throw IptablesError(command: ([tool] + arguments).joined(separator: " "), status: result.status,
                                message: (result.error + result.output).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Whether `TOOL ARGUMENTS…` exits 0 (a `-C` check).
    func succeeds(_ tool: String, _ arguments: [String]) throws -> Bool {
        try execute(tool, arguments).status == 0
    }

    /// The KUBE-* chains of one family now, by table.
    func chains(_ family: IPFamily) throws -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for table in ["filter", "nat"] {
            let saved = try execute(tool(family, "-save"), ["-t", table])
            result.merge(IptablesRestore.chains(in: saved.output)) { $0.union($1) }
        }
        return result
    }

    /// kube-proxy's jumps from the built-in chains, inserted when missing (-C, then -I).
    func ensureJumps(_ family: IPFamily) throws {
        for jump in IptablesRestore.jumps where try !succeeds(tool(family, ""), ["-w", "5"] + jump.command("-C")) {
            try run(tool(family, ""), ["-w", "5"] + jump.command("-I"))
        }
    }

    /// Which iptables the node uses, as kube-proxy's image decides (kubernetes-sigs/iptables-wrappers):
    /// the variant holding kubelet's `KUBE-IPTABLES-HINT` chain, else the one with more rules (10 or
    /// more legacy rules: legacy); the host's `iptables` when only one variant is installed or on a tie.
    public static func detect(in namespace: NetworkNamespace) -> IptablesTools {
        let host = IptablesTools(namespace: namespace, variant: "")
        func has(_ tool: String) -> Bool { (try? ProcessRunner.run(["which", tool]))?.status == 0 }
        guard has("iptables-legacy-save"), has("iptables-nft-save") else { return host }
        func saved(_ variant: String) -> String {
            ["iptables", "ip6tables"].map { base in
                (try? host.execute("\(base)\(variant)-save", []))?.output ?? ""
            }.joined()
        }
        let legacy = saved("-legacy"), nft = saved("-nft")
        let count = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("-") }.count }
        let variant = legacy.contains("KUBE-IPTABLES-HINT") ? "-legacy"
            : nft.contains("KUBE-IPTABLES-HINT") ? "-nft"
            : count(legacy) >= 10 || count(legacy) > count(nft) ? "-legacy"
            : count(nft) > count(legacy) ? "-nft" : ""
        return IptablesTools(namespace: namespace, variant: variant)
    }

    /// Removes kube-proxy's iptables layout from `namespace`, in every variant: the jumps, then every
    /// KUBE-* chain of the filter and nat tables (Switchyard's iptables mode and kube-proxy's use the
    /// same names). Returns the chains deleted.
    public static func cleanup(namespace: NetworkNamespace) throws -> [String] {
        var deleted: Set<String> = []
        for variant in ["", "-legacy", "-nft"] {
            deleted.formUnion(try IptablesTools(namespace: namespace, variant: variant).removeLayout())
        }
        return deleted.sorted()
    }

    /// Removes kube-proxy's iptables layout from one variant: the jumps, then every KUBE-* chain of
    /// the filter and nat tables. Returns the chains deleted (`ip[-variant] TABLE CHAIN`).
    func removeLayout() throws -> [String] {
        var deleted: [String] = []
        for family in IPFamily.allCases {
            guard (try? execute(tool(family, "-save"), ["-t", "nat"]))?.status == 0 else { continue }
            let existing = try chains(family)
            guard existing.values.contains(where: { !$0.isEmpty }) else { continue }
            for jump in IptablesRestore.jumps {
                while try succeeds(tool(family, ""), ["-w", "5"] + jump.command("-D")) {}
            }
            try run(tool(family, "-restore"), ["--noflush", "-w", "5"], input: IptablesRestore.deletingAll(existing))
            deleted += existing.flatMap { table, names in names.map { "\(family == .ipv4 ? "ip" : "ip6")\(variant) \(table) \($0)" } }
        }
        return deleted
    }
}

/// An iptables tool refused its input.
public struct IptablesError: Error, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var message: String
    public var description: String { "\(command) exited \(status): \(message)" }
}
