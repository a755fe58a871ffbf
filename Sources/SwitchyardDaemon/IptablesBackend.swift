import Dispatch
import Logging
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules
import SwitchyardSystem

/// kube-proxy's iptables mode (`--proxy-mode iptables`): every sync renders the plan in kube-proxy's
/// layout (KUBE-SERVICES, KUBE-SVC-…, KUBE-SEP-…, the same hashed names and comments) and applies it
/// with `iptables-restore --noflush` / `ip6tables-restore --noflush` in the programmed namespace —
/// whichever backend (nft or legacy) the host's `iptables` is — deleting the per-Service chains a
/// previous restore made and keeping kube-proxy's jumps from the built-in chains; after the first
/// sync, a change rewrites only the changed Services' chains (kube-proxy's partial restores; every
/// full sync restores everything, repairing drift). Conntrack and
/// interface addresses go through netlink, as in nftables mode. One serial queue runs the tools.
public final class IptablesBackend: SyncBackend, @unchecked Sendable {
    // Safety: `chains` is touched only on `queue` (serial).
    private let namespace: NetworkNamespace
    private let config: ProxyConfig
    private let logger: Logger
    private let queue = DispatchQueue(label: "switchyard.iptables")
    /// The chains of the last restore per family, by table (read from iptables-save at the first one).
    private var chains: [IPFamily: [String: Set<String>]] = [:]
    /// `-legacy`, `-nft` or "" (the host's `iptables`), detected at the first sync.
    private var variant: String?

    public init(namespace: NetworkNamespace, config: ProxyConfig, logger: Logger, variant: String? = nil) {
        self.namespace = namespace
        self.config = config
        self.logger = logger
        self.variant = variant
    }

    /// The tool's name per family, in the detected variant (`iptables-nft-restore`, …).
    func tool(_ family: IPFamily, _ suffix: String) -> String {
        (family == .ipv4 ? "iptables" : "ip6tables") + (variant ?? "") + suffix
    }

    /// Which iptables the node uses, as kube-proxy's image decides (kubernetes-sigs/iptables-wrappers):
    /// the variant holding kubelet's `KUBE-IPTABLES-HINT` chain, else the one with more rules (10 or
    /// more legacy rules: legacy); the host's `iptables` when only one variant is installed or on a tie.
    func detectVariant() -> String {
        func has(_ tool: String) -> Bool { (try? ProcessRunner.run(["which", tool]))?.status == 0 }
        guard has("iptables-legacy-save"), has("iptables-nft-save") else { return "" }
        func saved(_ variant: String) -> String {
            ["iptables", "ip6tables"].map { base in
                (try? ProcessRunner.run(command("\(base)\(variant)-save", [])))?.output ?? ""
            }.joined()
        }
        let legacy = saved("-legacy"), nft = saved("-nft")
        if legacy.contains("KUBE-IPTABLES-HINT") { return "-legacy" }
        if nft.contains("KUBE-IPTABLES-HINT") { return "-nft" }
        let count = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("-") }.count }
        if count(legacy) >= 10 || count(legacy) > count(nft) { return "-legacy" }
        return count(nft) > count(legacy) ? "-nft" : ""
    }

    /// `TOOL ARGUMENTS…` inside the namespace (nsenter for another one).
    func command(_ tool: String, _ arguments: [String]) -> [String] {
        (namespace.path.map { ["nsenter", "--net=\($0)"] } ?? []) + [tool] + arguments
    }

    public func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? {
        try await onQueue { [self] in
            if variant == nil {
                variant = detectVariant()
                logger.info("iptables mode", metadata: ["iptables": "\(tool(.ipv4, "-restore"))"])
            }
            var lines = 0
            for family in IPFamily.allCases {
                let plans = plan.services.values.joined().filter { $0.family == family }.sorted()
                let text = IptablesRenderer.render(plans, family: family, node: plan.node, config: config)
                let input: String
                if let changed, let existing = chains[family] {
                    // Only the changed Services' chains are rewritten (kube-proxy's partial restore).
                    let changedPlans = plans.filter { changed.contains($0.name.service) }
                    let changedChains = IptablesRestore.chains(in: IptablesRenderer.render(changedPlans, family: family, node: plan.node, config: config))
                    input = IptablesRestore.partial(text, changed: changedChains.values.reduce(into: Set()) { $0.formUnion($1) }, existing: existing)
                } else {
                    input = IptablesRestore.deletingStale(try chains[family] ?? readChains(family), from: text)
                }
                try run(tool(family, "-restore"), ["--noflush", "-w", "5"], input: input)
                chains[family] = IptablesRestore.chains(in: text)
                lines += input.split(separator: "\n").count
                if changed == nil { try ensureJumps(family) }
            }
            return ProgrammingReport(operations: lines)
        }
    }

    /// kube-proxy's jumps from the built-in chains, inserted when missing.
    private func ensureJumps(_ family: IPFamily) throws {
        for jump in IptablesRestore.jumps {
            let tool = tool(family, "")
            if try ProcessRunner.run(command(tool, ["-w", "5"] + jump.command("-C"))).status == 0 { continue }
            try run(tool, ["-w", "5"] + jump.command("-I"), input: nil)
        }
    }

    /// The KUBE-* chains in the namespace now, by table.
    private func readChains(_ family: IPFamily) throws -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for table in ["filter", "nat"] {
            let saved = try ProcessRunner.run(command(tool(family, "-save"), ["-t", table]))
            result.merge(IptablesRestore.chains(in: saved.output)) { $0.union($1) }
        }
        return result
    }

    private func run(_ tool: String, _ arguments: [String], input: String?) throws {
        let result = try ProcessRunner.run(command(tool, arguments), input: input)
        guard result.status == 0 else {
            throw IptablesError(command: ([tool] + arguments).joined(separator: " "), status: result.status,
                                message: (result.error + result.output).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    // The nftables interface: unused in this mode (the Syncer programs through `program`).
    public func commit(_ transaction: Transaction) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    public func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    /// Drift is repaired by the full restore of each full sync (hourly, and on demand).
    public func isUntouchedSinceLastWrite() async -> Bool { true }

    public func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int {
        guard !filters.isEmpty else { return 0 }
        let (namespace, logger) = (namespace, logger)
        return (try? await onQueue {
            do {
                return try NetfilterSocket(namespace: namespace).deleteConntrack(matchingAny: filters)
            } catch {
                logger.warning("could not delete stale UDP conntrack entries", metadata: ["error": "\(error)"])
                return 0
            }
        }) ?? 0
    }

    public func hostAddresses() async -> [IPAddress]? {
        let namespace = namespace
        return try? await onQueue { try HostAddresses.list(in: namespace) }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Removes kube-proxy's iptables layout from `namespace`: the jumps, then every KUBE-* chain of
    /// the filter and nat tables (Switchyard's iptables mode and kube-proxy's use the same names).
    /// Returns the chains deleted.
    public static func cleanup(namespace: NetworkNamespace) throws -> [String] {
        var deleted: [String] = []
        for variant in ["", "-legacy", "-nft"] {
            let backend = IptablesBackend(namespace: namespace, config: ProxyConfig(nodeName: "cleanup"), logger: Logger(label: "cleanup"),
                                          variant: variant)
            for family in IPFamily.allCases {
                guard (try? ProcessRunner.run(backend.command(backend.tool(family, "-save"), ["-t", "nat"])))?.status == 0 else { continue }
                let existing = try backend.readChains(family)
                guard existing.values.contains(where: { !$0.isEmpty }) else { continue }
                for jump in IptablesRestore.jumps {
                    while try ProcessRunner.run(backend.command(backend.tool(family, ""), ["-w", "5"] + jump.command("-D"))).status == 0 {}
                }
                try backend.run(backend.tool(family, "-restore"), ["--noflush", "-w", "5"], input: IptablesRestore.deletingAll(existing))
                deleted += existing.flatMap { table, names in
                    names.map { "\(family == .ipv4 ? "ip" : "ip6")\(variant) \(table) \($0)" }
                }
            }
        }
        return Array(Set(deleted)).sorted()
    }
}

/// An iptables tool refused its input.
public struct IptablesError: Error, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var message: String
    public var description: String { "\(command) exited \(status): \(message)" }
}
