import Foundation
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules
import SwitchyardSandbox
import SwitchyardSources
import SwitchyardTestSupport
import SwitchyardDaemon
import Logging

/// The repository's examples/cluster, loaded once.
enum ExampleCluster {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func objects() throws -> [ClusterObject] {
        try ManifestLoader().load(paths: [root.appendingPathComponent("examples/cluster").path])
    }

    static func store() throws -> ClusterStore {
        var store = ClusterStore()
        store.apply(try objects().map(ClusterEvent.added))
        _ = store.takeChanges()
        return store
    }

    static func address(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { preconditionFailure("bad address \(text)") }
        return address
    }
}

/// A cluster programmed into a sandbox's node namespace by the daemon's own sync step (`Syncer`
/// over the kernel backend): plan, compile, diff, commit over netlink, conntrack cleanup — so these
/// tests exercise exactly what `switchyard run` does, minus the scheduling.
final class ProgrammedNode {
    private(set) var state = ProxyState()
    let config: ProxyConfig
    /// The sync step over the mode's backend.
    private let step: @Sendable (SyncKind, inout ProxyState) async throws -> SyncReport
    private(set) var lastReport: SyncReport?
    private(set) var conntrackDeletions = 0

    init(store: ClusterStore, namespace: String, dispatch: DispatchModel = .random, mode: ProxyMode = .nftables) async throws {
        config = ProxyConfig(
            nodeName: "node-1",
            clusterCIDRs: [ExampleCluster.address("10.244.0.0").cidr(16), ExampleCluster.address("fd00:10:244::").cidr(56)],
            dispatch: dispatch)
        var logger = Logger(label: "switchyard.e2e")
        logger.logLevel = .warning
        switch mode {
        case .nftables:
            let syncer = Syncer(backend: try KernelBackend(namespace: .named(namespace), logger: logger), config: config, wallClock: { 0 })
            step = { kind, state in try await syncer.sync(kind, state: &state) }
        case .iptables:
            let syncer = Syncer(backend: try IptablesBackend(namespace: .named(namespace), config: config, logger: logger), config: config,
                                wallClock: { 0 })
            step = { kind, state in try await syncer.sync(kind, state: &state) }
        case .userspace:
            throw TestNamespaceError(message: "the userspace mode listens in the daemon's own namespace (UserspaceEndToEndTests)")
        }
        state.store = store
        try await sync(.full)
    }

    var store: ClusterStore { state.store }

    /// The ruleset the node is programmed with.
    var programmed: Ruleset { state.programmed.compiler?.ruleset() ?? Ruleset() }

    /// Applies events and syncs what changed, incrementally.
    func apply(_ events: [ClusterEvent]) async throws {
        state.store.apply(events)
        try await sync(.incremental)
    }

    private func sync(_ kind: SyncKind) async throws {
        let report = try await step(kind, &state)
        conntrackDeletions += report.conntrackDeleted
        lastReport = report
    }
}

extension IPAddress {
    func cidr(_ length: Int) -> CIDR {
        guard let cidr = CIDR(address: self, prefixLength: length) else { preconditionFailure("bad prefix") }
        return cidr
    }
}

/// Why the end-to-end suites cannot run here, or nil.
let endToEndUnavailable: String? = TestNamespace.unavailableReason
