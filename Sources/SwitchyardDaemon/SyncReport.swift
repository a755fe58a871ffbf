import SwitchyardLB
import SwitchyardModel

/// What one sync did and how long each phase took: the input of the sync's log line, metrics,
/// health and health-check node ports.
public struct SyncReport: Sendable {
    public var kind: SyncKind
    /// Services whose Service object changed since the previous sync.
    public var serviceChanges: Int = 0
    /// Services whose EndpointSlices changed since the previous sync.
    public var endpointChanges: Int = 0
    /// Services re-planned (all of them for a full sync).
    public var replannedServices: Int = 0
    /// Phase name → duration, in the order run: compile, program, conntrack (and index after a full
    /// sync); a resync has check, then compile and program only when it repaired drift.
    public var phases: [(name: String, duration: Duration)] = []
    public var programming = ProgrammingReport(operations: 0)
    public var conntrackDeleted = 0
    /// Service ports programmed.
    public var servicePorts = 0
    /// Set elements and rules in the wanted ruleset, counted on full syncs (nil for incremental ones,
    /// which do not rebuild the whole ruleset).
    public var elements: Int?
    public var rules: Int?
    /// Service ports with a Local traffic policy and no local endpoint, by kube-proxy's
    /// `traffic_policy` label value (`internal`, `external`).
    public var noLocalEndpoints: [String: Int] = [:]
    /// Seconds from each changed EndpointSlice's last-change trigger time to the end of this sync.
    public var networkProgrammingLatencies: [Double] = []
    /// The health-check node ports wanted after this sync; nil when they did not change.
    public var healthChecks: [ServiceHealthCheck]?
    /// For a resync: whether someone else had changed the tables (they were read back and repaired).
    public var drifted = false
    /// Load-balancer IPs and ports of the re-planned Services held by an older Service instead,
    /// as `ns/svc:port ip (held by ns/other)`.
    public var loadBalancerConflicts: [String] = []
    /// Services whose `switchyard.dev/dispatch` annotation names no model (replanned in this sync).
    public var ignoredDispatchAnnotations: [String] = []

    public init(kind: SyncKind) { self.kind = kind }

    /// The sum of all phases.
    public var total: Duration { phases.reduce(.zero) { $0 + $1.duration } }
}
