import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT

/// `--nodeport-localhost` in the kernel modes: NodePorts on 127.0.0.1 and ::1, TCP and UDP, served by
/// a ``UserspaceProxy`` beside the kernel's rules (which never match loopback: a DNAT to a pod from
/// 127.0.0.1 needs `route_localnet`, the opening CVE-2020-8558 abused). Wraps the mode's backend: each
/// sync updates the changed Services' localhost listeners, then programs the kernel as before.
public struct LocalhostNodePorts<Inner: SyncBackend>: SyncBackend {
    public let inner: Inner
    public let proxy: UserspaceProxy

    public init(_ inner: Inner, proxy: UserspaceProxy) {
        self.inner = inner
        self.proxy = proxy
    }

    public func program(plan: ClusterPlan, changed: Set<ObjectKey>?) async throws -> ProgrammingReport? {
        await proxy.update(proxy.frontends(of: plan.ports(of: changed), addresses: false), replacing: changed)
        return try await inner.program(plan: plan, changed: changed)
    }

    public var programsFromPlan: Bool { inner.programsFromPlan }

    public func commit(_ transaction: Transaction) async throws -> ProgrammingReport { try await inner.commit(transaction) }
    public func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport { try await inner.reconcile(to: wanted) }
    public func isUntouchedSinceLastWrite() async -> Bool { await inner.isUntouchedSinceLastWrite() }
    public func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int { await inner.deleteConntrack(matching: filters) }
    public func hostAddresses() async -> [IPAddress]? { await inner.hostAddresses() }
}
