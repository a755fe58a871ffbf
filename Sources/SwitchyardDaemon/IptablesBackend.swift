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
/// in the node's variant (``IptablesTools/detect(in:)``) — deleting the per-Service chains a
/// previous restore made and keeping kube-proxy's jumps from the built-in chains; after the first
/// sync, a change rewrites only the changed Services' chains (kube-proxy's partial restores; every
/// full sync restores everything, repairing drift). Conntrack and interface addresses go through
/// netlink, as in nftables mode (``KernelBackend``). One serial queue runs the tools.
public final class IptablesBackend: SyncBackend, @unchecked Sendable {
    // Safety: `chains` and `tools` are touched only on `queue` (serial).
    private let namespace: NetworkNamespace
    private let config: ProxyConfig
    private let logger: Logger
    /// Conntrack cleanup and interface addresses.
    private let kernel: KernelBackend
    private let queue = DispatchQueue(label: "switchyard.iptables")
    /// The chains of the last restore per family, by table (read from iptables-save at the first one).
    private var chains: [IPFamily: [String: Set<String>]] = [:]
    /// The node's variant, detected at the first sync.
    private var tools: IptablesTools?

    public init(namespace: NetworkNamespace, config: ProxyConfig, logger: Logger) throws(NetlinkError) {
        self.namespace = namespace
        self.config = config
        self.logger = logger
        kernel = try KernelBackend(namespace: namespace, logger: logger)
    }

    public func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? {
        try await onQueue { [self] in
            let tools = self.tools ?? IptablesTools.detect(in: namespace)
            if self.tools == nil {
                self.tools = tools
                logger.info("iptables mode", metadata: ["iptables": "\(tools.tool(.ipv4, "-restore"))"])
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
                    input = IptablesRestore.deletingStale(try chains[family] ?? tools.chains(family), from: text)
                }
                try tools.run(tools.tool(family, "-restore"), ["--noflush", "-w", "5"], input: input)
                chains[family] = IptablesRestore.chains(in: text)
                lines += input.split(separator: "\n").count
                if changed == nil { try tools.ensureJumps(family) }
            }
            return ProgrammingReport(operations: lines)
        }
    }

    // The nftables interface: unused in this mode (the Syncer programs through `program`).
    public func commit(_ transaction: Transaction) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    public func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    /// Drift is repaired by the full restore of each full sync (hourly, and on demand).
    public func isUntouchedSinceLastWrite() async -> Bool { true }

    public func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int {
        await kernel.deleteConntrack(matching: filters)
    }

    public func hostAddresses() async -> [IPAddress]? {
        await kernel.hostAddresses()
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
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
}
