import CoreMetrics
import Metrics
import Prometheus
import SwitchyardSources
import SwitchyardModel

/// The daemon's metrics, made through swift-metrics on a Prometheus registry of its own (not the
/// global bootstrap, so tests can run several daemons). kube-proxy's names where the meaning is the
/// same (`kubeproxy_*`, so dashboards and alerts keep working), `switchyard_*` for the rest.
public final class DaemonMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    private let syncDuration: CoreMetrics.Timer
    private let fullSyncDuration: CoreMetrics.Timer
    private let partialSyncDuration: CoreMetrics.Timer
    private let lastSync: CoreMetrics.Gauge
    private let lastQueued: CoreMetrics.Gauge
    private let endpointChanges: CoreMetrics.Counter
    private let serviceChanges: CoreMetrics.Counter
    private let syncFailures: CoreMetrics.Counter
    private let conntrackDeleted: CoreMetrics.Counter
    private let netlinkOperations: CoreMetrics.Counter
    private let batchOperations: CoreMetrics.Recorder
    private let batchBytes: CoreMetrics.Recorder
    private let networkProgramming: CoreMetrics.Recorder
    private let dnsReplies: [CoreMetrics.Counter]
    private let dnsDuration: CoreMetrics.Recorder
    private let dnsRefusedConnections: CoreMetrics.Counter
    private let manifestLoadFailures: CoreMetrics.Counter
    private let manifestInvalidObjects: CoreMetrics.Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // kube-proxy: exponential buckets from 1 ms, ×2, 15 buckets.
        let syncBuckets = (0..<15).map { Duration.microseconds(1000 << $0) }
        for name in [Names.syncDuration, Names.fullSyncDuration, Names.partialSyncDuration, Names.phaseDuration] {
            factory.durationHistogramBuckets[name] = syncBuckets
        }
        // kube-proxy: 0.25 s, 0.5 s, 1…59 s, 60…115 s by 5 s, then 2…5 min.
        factory.valueHistogramBuckets[Names.networkProgramming] =
            [0.25, 0.5] + (1...59).map(Double.init) + stride(from: 60, through: 115, by: 5).map(Double.init)
            + [120, 150, 180, 210, 240, 270, 300]
        let sizes = (0..<20).map { Double(1 << $0) }
        factory.valueHistogramBuckets[Names.batchOperations] = sizes
        factory.valueHistogramBuckets[Names.batchBytes] = (6..<30).map { Double(1 << $0) }
        factory.valueHistogramBuckets[Names.dnsDuration] =
            [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
        self.factory = factory

        syncDuration = CoreMetrics.Timer(label: Names.syncDuration, factory: factory)
        fullSyncDuration = CoreMetrics.Timer(label: Names.fullSyncDuration, factory: factory)
        partialSyncDuration = CoreMetrics.Timer(label: Names.partialSyncDuration, factory: factory)
        lastSync = CoreMetrics.Gauge(label: "kubeproxy_sync_proxy_rules_last_timestamp_seconds", factory: factory)
        lastQueued = CoreMetrics.Gauge(label: "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", factory: factory)
        endpointChanges = CoreMetrics.Counter(label: "kubeproxy_sync_proxy_rules_endpoint_changes_total", factory: factory)
        serviceChanges = CoreMetrics.Counter(label: "kubeproxy_sync_proxy_rules_service_changes_total", factory: factory)
        syncFailures = CoreMetrics.Counter(label: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", factory: factory)
        conntrackDeleted = CoreMetrics.Counter(label: "switchyard_conntrack_entries_deleted_total", factory: factory)
        netlinkOperations = CoreMetrics.Counter(label: "switchyard_netlink_operations_total", factory: factory)
        batchOperations = CoreMetrics.Recorder(label: Names.batchOperations, factory: factory)
        batchBytes = CoreMetrics.Recorder(label: Names.batchBytes, factory: factory)
        networkProgramming = CoreMetrics.Recorder(label: Names.networkProgramming, factory: factory)
        dnsReplies = Self.rcodeNames.map {
            CoreMetrics.Counter(label: "switchyard_dns_queries_total", dimensions: [("rcode", $0)], factory: factory)
        }
        dnsDuration = CoreMetrics.Recorder(label: Names.dnsDuration, factory: factory)
        dnsRefusedConnections = CoreMetrics.Counter(label: "switchyard_dns_tcp_connections_refused_total", factory: factory)
        manifestLoadFailures = CoreMetrics.Counter(label: "switchyard_manifest_load_failures_total", factory: factory)
        manifestInvalidObjects = CoreMetrics.Gauge(label: "switchyard_manifest_invalid_objects", factory: factory)
        manifestInvalidObjects.record(0)
        for policy in ["internal", "external"] { noLocalEndpoints(policy).record(0) }
        for code in ["200", "503"] {
            _ = CoreMetrics.Counter(label: "kubeproxy_proxy_healthz_total", dimensions: [("code", code)], factory: factory)
            _ = CoreMetrics.Counter(label: "kubeproxy_proxy_livez_total", dimensions: [("code", code)], factory: factory)
        }
    }

    enum Names {
        static let syncDuration = "kubeproxy_sync_proxy_rules_duration_seconds"
        static let fullSyncDuration = "kubeproxy_sync_full_proxy_rules_duration_seconds"
        static let partialSyncDuration = "kubeproxy_sync_partial_proxy_rules_duration_seconds"
        static let phaseDuration = "switchyard_sync_phase_duration_seconds"
        static let networkProgramming = "kubeproxy_network_programming_duration_seconds"
        static let batchOperations = "switchyard_netlink_batch_operations"
        static let batchBytes = "switchyard_netlink_batch_bytes"
        static let dnsDuration = "switchyard_dns_query_duration_seconds"
    }

    /// Changes arrived at `time` (wall-clock seconds).
    public func queued(at time: Double) {
        lastQueued.record(time)
    }

    /// A sync succeeded at `time` (wall-clock seconds).
    public func record(_ report: SyncReport, at time: Double) {
        let nanoseconds = report.total.nanoseconds
        syncDuration.recordNanoseconds(nanoseconds)
        (report.kind == .full ? fullSyncDuration : partialSyncDuration).recordNanoseconds(nanoseconds)
        for phase in report.phases {
            CoreMetrics.Timer(label: Names.phaseDuration, dimensions: [("phase", phase.name)], factory: factory)
                .recordNanoseconds(phase.duration.nanoseconds)
        }
        lastSync.record(time)
        endpointChanges.increment(by: report.endpointChanges)
        serviceChanges.increment(by: report.serviceChanges)
        if report.programming.operations > 0 {
            netlinkOperations.increment(by: report.programming.operations)
            batchOperations.record(report.programming.operations)
            if report.programming.bytes > 0 { batchBytes.record(report.programming.bytes) }
        }
        conntrackDeleted.increment(by: report.conntrackDeleted)
        for latency in report.networkProgrammingLatencies { networkProgramming.record(latency) }
        for (policy, count) in report.noLocalEndpoints { noLocalEndpoints(policy).record(count) }
        CoreMetrics.Gauge(label: "switchyard_programmed_objects", dimensions: [("kind", "service_ports")], factory: factory).record(report.servicePorts)
        if let elements = report.elements {
            CoreMetrics.Gauge(label: "switchyard_programmed_objects", dimensions: [("kind", "elements")], factory: factory).record(elements)
        }
        if let rules = report.rules {
            CoreMetrics.Gauge(label: "switchyard_programmed_objects", dimensions: [("kind", "rules")], factory: factory).record(rules)
        }
    }

    /// A sync failed.
    public func syncFailed() {
        syncFailures.increment()
    }

    /// A /healthz or /livez answer.
    public func healthProbe(_ path: String, code: Int) {
        let name = path == "/livez" ? "kubeproxy_proxy_livez_total" : "kubeproxy_proxy_healthz_total"
        CoreMetrics.Counter(label: name, dimensions: [("code", String(code))], factory: factory).increment()
    }

    /// One DNS reply with `rcode` after `nanoseconds`. Called on DNS event loops for every query:
    /// the counters are made once, so this is two atomic adds and one histogram update.
    public func dnsReply(rcode: UInt8, nanoseconds: Int64) {
        dnsReplies[Int(rcode & 0x0f)].increment()
        dnsDuration.record(Double(nanoseconds) / 1e9)
    }

    /// One load of the manifests: a failed one is counted, and the invalid objects of the latest one
    /// are the gauge's value.
    public func manifestsLoaded(_ outcome: ManifestLoadOutcome) {
        if outcome.failed { manifestLoadFailures.increment() }
        manifestInvalidObjects.record(Double(outcome.invalidObjects))
    }

    /// Whether an optional API collection (Pods, ServiceCIDRs) can be listed: 0 while it is
    /// forbidden or not served, and the features that need it do without.
    public func collection(_ kind: ResourceKind, available: Bool) {
        CoreMetrics.Gauge(label: "switchyard_kubernetes_collection_available", dimensions: [("resource", kind.rawValue)], factory: factory)
            .record(available ? 1 : 0)
    }

    /// A DNS-over-TCP connection closed at accept because the server held its maximum.
    public func dnsConnectionRefused() {
        dnsRefusedConnections.increment()
    }

    /// RFC 1035 / 2136 rcode names, by value (0-15).
    static let rcodeNames = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
        "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
    ]

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        registry.emitToString()
    }

    private func noLocalEndpoints(_ policy: String) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: "kubeproxy_sync_proxy_rules_no_local_endpoints_total", dimensions: [("traffic_policy", policy)], factory: factory)
    }
}

extension Duration {
    /// Whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
