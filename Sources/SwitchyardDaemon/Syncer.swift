import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules

/// One sync, as separate phases: compile (plan and rules through ``RulesPipeline``; for an
/// incremental sync, the transaction), program (backend I/O), conntrack. It neither schedules nor
/// logs nor counts metrics; it reports what it did.
///
/// Only a full sync costs O(cluster). An incremental sync touches the changed Services alone — their
/// plans, rules, transaction, stale flows, gauges and health checks — and a resync asks the backend
/// whether anyone else changed the tables before reading anything back.
public struct Syncer<Backend: SyncBackend>: Sendable {
    public var backend: Backend
    public var config: ProxyConfig
    /// Wall-clock seconds since 1970 (EndpointSlice trigger times are wall-clock).
    public var wallClock: @Sendable () -> Double

    public init(backend: Backend, config: ProxyConfig, wallClock: @escaping @Sendable () -> Double) {
        self.backend = backend
        self.config = config
        self.wallClock = wallClock
    }

    /// Runs one sync of `kind` on `state`'s store and programmed state (tests and tools; the sync
    /// loop calls ``sync(_:snapshot:changes:state:)`` so that its store goes on meanwhile). A resync
    /// leaves the store's changes pending.
    public func sync(_ kind: SyncKind, state: inout ProxyState) async throws -> SyncReport {
        let changes = Self.takesChanges(kind, state.programmed) ? state.store.takeChanges() : ClusterChanges()
        return try await sync(kind, snapshot: state.store.snapshot, changes: changes, state: &state.programmed)
    }

    /// Whether a sync of `kind` programs the store's pending changes (all but a drift check on a
    /// programmed state do).
    public static func takesChanges(_ kind: SyncKind, _ state: ProgrammedState) -> Bool {
        kind != .resync || state.compiler == nil
    }

    /// Runs one sync of `kind` towards `snapshot`, whose changes since the previous sync are
    /// `changes`. On success `state` holds the new plan; on a throw the compiled state is dropped (the
    /// next sync must be full).
    public func sync(_ kind: SyncKind, snapshot: ClusterSnapshot, changes: ClusterChanges, state: inout ProgrammedState) async throws -> SyncReport {
        // NodePorts on CIDRs follow the interface addresses: read at every sync, and a change makes
        // the sync full (every NodePort frontend is keyed by them).
        var kind = kind
        if case .cidrs = config.nodePortAddresses, let addresses = await backend.hostAddresses(), addresses != state.hostAddresses {
            state.hostAddresses = addresses
            kind = .full
        }
        switch kind {
        case .resync:
            if let compiler = state.compiler.take() { return try await resync(compiler, state: &state) }
        case .incremental:
            if state.compiler != nil { return try await incremental(snapshot: snapshot, changes: changes, state: &state) }
        case .full:
            break
        }
        return try await full(snapshot: snapshot, changes: changes, state: &state)
    }

    /// Everything re-planned and compiled; the backend reads its tables back and gets only the
    /// difference (start-up, retries, the hourly full sync).
    func full(snapshot: ClusterSnapshot, changes: ClusterChanges, state: inout ProgrammedState) async throws -> SyncReport {
        var report = SyncReport(kind: .full)
        var stopwatch = Stopwatch()
        report.serviceChanges = changes.services.count
        report.endpointChanges = changes.endpoints.count
        let old = state.compiler.take()
        var config = self.config
        if let addresses = state.hostAddresses { config.hostAddresses = addresses }
        let (plan, wanted) = RulesPipeline.full(snapshot: snapshot, config: config, compile: !backend.programsFromPlan)
        report.replannedServices = snapshot.services.count
        report.phases.append(("compile", stopwatch.lap()))
        if let programmed = try await backend.program(plan: plan, changed: nil) {
            report.programming = programmed
        } else {
            report.programming = try await backend.reconcile(to: wanted)
        }
        report.phases.append(("program", stopwatch.lap()))
        report.elements = wanted.elementCount
        report.rules = wanted.ruleCount

        // Stale UDP flows: before the first sync every served UDP frontend may hold flows that were
        // never translated; the backend looks them all up in one kernel-filtered dump.
        let filters = ConntrackCleanup.filters(old: old?.plan, new: plan)
        report.conntrackDeleted = await backend.deleteConntrack(matching: filters)
        report.phases.append(("conntrack", stopwatch.lap()))

        // As kube-proxy, the initial sync reports no programming latency (the trigger times of a
        // first load say when the cluster changed, not how long this proxy took).
        if old != nil { report.networkProgrammingLatencies = latencies(of: changes.endpoints, in: snapshot) }
        report.loadBalancerConflicts = Self.conflicts(in: plan.services.values.joined())
        report.ignoredDispatchAnnotations = Self.ignoredDispatchAnnotations(in: plan.services.values.joined())
        state.gauges = PlanGauges(plan)
        let checks = plan.healthChecks
        if checks != state.healthChecks || old == nil { report.healthChecks = checks.values.sorted() }
        state.healthChecks = checks
        // The per-Service bookkeeping that makes the next syncs incremental, built after the commit
        // so that it does not delay the rules.
        state.compiler = IncrementalCompiler(config: config, plan: plan, compilesRules: !backend.programsFromPlan)
        report.phases.append(("index", stopwatch.lap()))
        finish(&report, gauges: state.gauges)
        return report
    }

    /// The changed Services re-planned and recompiled; their transaction committed.
    func incremental(snapshot: ClusterSnapshot, changes: ClusterChanges, state: inout ProgrammedState) async throws -> SyncReport {
        var report = SyncReport(kind: .incremental)
        var stopwatch = Stopwatch()
        report.serviceChanges = changes.services.count
        report.endpointChanges = changes.endpoints.count
        // Taken out of the state, so applying the update mutates the only reference (no copy).
        guard var compiler = state.compiler.take() else { return try await full(snapshot: snapshot, changes: changes, state: &state) }
        let result = RulesPipeline.incremental(&compiler, changes: changes, snapshot: snapshot)
        guard result.applied else {
            // This node's context changed: every plan may differ.
            state.compiler = compiler
            return try await full(snapshot: snapshot, changes: changes, state: &state)
        }
        report.replannedServices = result.before.count
        report.phases.append(("compile", stopwatch.lap()))
        let transaction = result.transaction
        // A transaction holding refused operations (a compiler bug) is refused by the backend: the
        // sync fails loudly and the loop retries it full.
        if let programmed = try await backend.program(plan: compiler.plan, changed: Set(result.before.map(\.service))) {
            report.programming = programmed
        } else {
            report.programming = transaction.isEmpty ? ProgrammingReport(operations: 0) : try await backend.commit(transaction)
        }
        report.phases.append(("program", stopwatch.lap()))

        var filters: [ConntrackFilter] = []
        var checksChanged = false
        let nodePortAddresses = compiler.plan.node.nodePortAddresses
        report.loadBalancerConflicts = Self.conflicts(in: result.before.lazy.flatMap { compiler.plan.services[$0.service] ?? [] })
        report.ignoredDispatchAnnotations = Self.ignoredDispatchAnnotations(
            in: result.before.lazy.flatMap { compiler.plan.services[$0.service] ?? [] })
        for (key, old) in result.before {
            let new = compiler.plan.services[key] ?? []
            filters += ConntrackCleanup.filters(old: old, new: new, nodePortAddresses: nodePortAddresses)
            state.gauges.replace(old, with: new)
            let check = ServiceHealthCheck(service: key, plans: new)
            if state.healthChecks[key] != check {
                state.healthChecks[key] = check
                checksChanged = true
            }
        }
        report.conntrackDeleted = await backend.deleteConntrack(matching: filters)
        report.phases.append(("conntrack", stopwatch.lap()))
        report.networkProgrammingLatencies = latencies(of: changes.endpoints, in: snapshot)
        if checksChanged { report.healthChecks = state.healthChecks.values.sorted() }
        finish(&report, gauges: state.gauges)
        state.compiler = compiler
        return report
    }

    /// The periodic drift check: one generation request when nobody else committed since our last
    /// write; otherwise the tables are read back and repaired towards what was compiled (no re-plan).
    /// `compiler` was taken out of `state`; it is put back whatever happens but a throw.
    func resync(_ compiler: IncrementalCompiler, state: inout ProgrammedState) async throws -> SyncReport {
        var report = SyncReport(kind: .resync)
        var stopwatch = Stopwatch()
        let untouched = await backend.isUntouchedSinceLastWrite()
        report.phases.append(("check", stopwatch.lap()))
        if !untouched, let programmed = try await backend.program(plan: compiler.plan, changed: nil) {
            // A mode that programs from the plan programs it whole again.
            report.programming = programmed
            report.phases.append(("program", stopwatch.lap()))
        } else if !untouched {
            let wanted = compiler.ruleset()
            report.phases.append(("compile", stopwatch.lap()))
            report.programming = try await backend.reconcile(to: wanted)
            report.phases.append(("program", stopwatch.lap()))
            report.elements = wanted.elementCount
            report.rules = wanted.ruleCount
        }
        report.drifted = !untouched
        finish(&report, gauges: state.gauges)
        state.compiler = compiler
        return report
    }

    private func finish(_ report: inout SyncReport, gauges: PlanGauges) {
        report.servicePorts = gauges.servicePorts
        report.noLocalEndpoints = gauges.noLocalEndpoints
    }

    /// The shadowed load-balancer IPs of `plans`, described for the log.
    static func conflicts(in plans: some Sequence<ServicePortPlan>) -> [String] {
        plans.flatMap { plan in plan.shadowedLoadBalancerIPs.map { "\(plan.name) \($0)" } }.sorted()
    }

    /// The Services of `plans` whose `switchyard.dev/dispatch` names no model, with the value.
    static func ignoredDispatchAnnotations(in plans: some Sequence<ServicePortPlan>) -> [String] {
        Array(Set(plans.compactMap { plan in plan.ignoredDispatchAnnotation.map { "\(plan.name.service) '\($0)'" } })).sorted()
    }

    /// Seconds from each changed Service's EndpointSlices' last-change trigger time to now.
    private func latencies(of services: Set<ObjectKey>, in snapshot: ClusterSnapshot) -> [Double] {
        let now = wallClock()
        return services.sorted().flatMap { key in
            (snapshot.endpointSlicesByService[key] ?? [:]).values.compactMap(\.lastChangeTriggerTime).map { max(0, now - $0) }
        }
    }
}

/// Measures consecutive phases on the real monotonic clock.
struct Stopwatch {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant

    init() { last = clock.now }

    mutating func lap() -> Duration {
        let now = clock.now
        defer { last = now }
        return last.duration(to: now)
    }

}
