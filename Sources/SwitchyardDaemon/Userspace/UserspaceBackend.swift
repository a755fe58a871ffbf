import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT

/// `--proxy-mode userspace`: the plan programs ``UserspaceProxy``'s listeners instead of the kernel,
/// for nodes where netfilter cannot be programmed (no CAP_NET_ADMIN, sandboxed runtimes, development
/// machines). Nothing is translated, so there is no conntrack to clean and no drift to repair.
public struct UserspaceBackend: SyncBackend {
    public let proxy: UserspaceProxy

    public init(proxy: UserspaceProxy) {
        self.proxy = proxy
    }

    public func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? {
        ProgrammingReport(operations: await proxy.update(proxy.frontends(of: plan.services.values.joined())))
    }

    public func commit(_ transaction: Transaction) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    public func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    public func isUntouchedSinceLastWrite() async -> Bool { true }
    public func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int { 0 }
    public func hostAddresses() async -> [IPAddress]? { nil }
}
