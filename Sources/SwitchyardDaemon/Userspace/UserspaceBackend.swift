import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules

/// `--proxy-mode userspace`: the plan programs ``UserspaceProxy``'s listeners instead of the kernel's
/// translation, for nodes where netfilter cannot be programmed (no CAP_NET_ADMIN, sandboxed runtimes,
/// development machines). With CAP_NET_ADMIN (`steering`), the small fixed table of
/// ``UserspaceSteering`` delivers the traffic of every Service address to the listeners, so pods and
/// the node reach ClusterIPs that are not local addresses; without it, the proxy serves only where
/// those addresses are delivered locally. Nothing is translated, so there is no conntrack to clean.
/// An incremental sync touches only the changed Services' listeners and set elements.
public actor UserspaceBackend: SyncBackend {
    public let proxy: UserspaceProxy
    /// Programs the steering table (nil: no CAP_NET_ADMIN, no table).
    private let steering: KernelBackend?
    private let mark: UInt32
    /// Each Service's set elements, and how many Service ports claim each element (an LB IP shared
    /// by two Services stays steered while one of them has it).
    private var steeredBy: [ObjectKey: [UserspaceSteering.Entry]] = [:]
    private var claims: [UserspaceSteering.Entry: Int] = [:]

    public init(proxy: UserspaceProxy, steering: KernelBackend? = nil, mark: UInt32 = ProxyConfig.LocalDNSDelivery.defaultMark) {
        self.proxy = proxy
        self.steering = steering
        self.mark = mark
    }

    public func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? {
        var operations = await proxy.update(proxy.frontends(of: plan.ports(of: changed), nodeAddresses: plan.node.nodePortAddresses), replacing: changed)
        if let steering {
            operations += try await steer(plan, changed: changed, through: steering)
        }
        return ProgrammingReport(operations: operations)
    }

    /// A full sync reconciles the whole table (repairing drift); an incremental one commits only the
    /// changed Services' elements.
    private func steer(_ plan: ClusterPlan, changed: Set<ObjectKey>?, through kernel: KernelBackend) async throws -> Int {
        guard let changed else {
            steeredBy = plan.services.mapValues { $0.flatMap(UserspaceSteering.entries(of:)) }
            claims = steeredBy.values.joined().reduce(into: [:]) { $0[$1, default: 0] += 1 }
            return try await kernel.reconcile(to: UserspaceSteering.ruleset(claims.keys, mark: mark)).operations
        }
        var added: Set<UserspaceSteering.Entry> = []
        var removed: Set<UserspaceSteering.Entry> = []
        for key in changed {
            let new = (plan.services[key] ?? []).flatMap(UserspaceSteering.entries(of:))
            for entry in steeredBy[key] ?? [] {
                claims[entry, default: 0] -= 1
                if claims[entry] == 0 {
                    claims[entry] = nil
                    removed.insert(entry)
                }
            }
            for entry in new {
                claims[entry, default: 0] += 1
                if claims[entry] == 1 { added.insert(entry) }
            }
            steeredBy[key] = new.isEmpty ? nil : new
        }
        // An element that moved between two changed Services, or was dropped and claimed again, stays.
        let moved = added.intersection(removed)
        added.subtract(moved)
        removed.subtract(moved)
        guard !added.isEmpty || !removed.isEmpty else { return 0 }
        return try await kernel.commit(UserspaceSteering.transaction(adding: added, removing: removed)).operations
    }

    public nonisolated var programsFromPlan: Bool { true }

    public func commit(_ transaction: Transaction) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    public func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport { ProgrammingReport(operations: 0) }
    /// Without steering there is nothing in the kernel to drift.
    public func isUntouchedSinceLastWrite() async -> Bool { await steering?.isUntouchedSinceLastWrite() ?? true }
    public func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int { 0 }
    public func hostAddresses() async -> [IPAddress]? { await steering?.hostAddresses() }
}
