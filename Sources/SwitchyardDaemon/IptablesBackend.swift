import Dispatch
import Logging
import SwitchyardIptables
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardSystem

/// kube-proxy's iptables mode (`--proxy-mode iptables`): each sync is an ``IptablesSync`` (kube-proxy's
/// layout through `iptables-restore`, partial restores after the first), run on one serial queue.
/// Conntrack and interface addresses go through netlink, as in nftables mode (``KernelBackend``).
public final class IptablesBackend: SyncBackend, @unchecked Sendable {
    // Safety: `sync` is touched only on `queue` (serial).
    private var sync: IptablesSync
    private let logger: Logger
    /// Conntrack cleanup and interface addresses.
    private let kernel: KernelBackend
    private let queue = DispatchQueue(label: "switchyard.iptables")

    public init(namespace: NetworkNamespace, config: ProxyConfig, logger: Logger) throws(NetlinkError) {
        sync = IptablesSync(namespace: namespace, config: config)
        self.logger = logger
        kernel = try KernelBackend(namespace: namespace, logger: logger)
    }

    public func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? {
        try await onQueue { [self] in
            let first = sync.tools == nil
            let lines = try sync.program(plan: plan, changed: changed)
            if first, let tools = sync.tools {
                logger.info("iptables mode", metadata: ["iptables": "\(tools.tool(.ipv4, "-restore"))"])
            }
            return ProgrammingReport(operations: lines)
        }
    }

    public var programsFromPlan: Bool { true }

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
}
