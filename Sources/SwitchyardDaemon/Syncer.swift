import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
import SwitchyardRules

/// One sync, as separate phases: plan (policy), compile (rules and, for an incremental sync, the
/// transaction), program (backend I/O), conntrack. It neither schedules nor logs nor counts
/// metrics; it reports what it did.
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

    /// Runs one sync of `kind`. On success `state` holds the new plan and programmed ruleset; on a
    /// throw only the store's change tracking was consumed (the next sync must be full).
    public func sync(_ kind: SyncKind, state: inout ProxyState) async throws -> SyncReport {
        var report = SyncReport(kind: kind)
        var stopwatch = Stopwatch()
        let changes = state.store.takeChanges()
        report.serviceChanges = changes.services.count
        report.endpointChanges = changes.endpoints.count

        // Plan, compile and diff: incrementally from the last programmed state, or everything.
        let snapshot = state.store.snapshot
        let compiler: IncrementalCompiler
        // The services whose plans may differ (nil: any).
        var replanned: Set<ObjectKey>?
        if kind == .incremental, var current = state.compiler {
            let update = Planner.plan(changes: changes, snapshot: snapshot, config: config)
            report.replannedServices = update.services.count
            replanned = update.isFull ? nil : Set(update.services.keys)
            report.phases.append(("plan", stopwatch.lap()))
            let transaction = current.apply(update)
            compiler = current
            report.phases.append(("compile", stopwatch.lap()))
            report.programming = transaction.isEmpty
                ? ProgrammingReport(operations: 0)
                : try await backend.commit(transaction, programmed: state.programmed)
            report.phases.append(("program", stopwatch.lap()))
            state.programmed.followSetDefinitions(of: transaction)
        } else {
            let plan = Planner.plan(snapshot: snapshot, config: config)
            report.replannedServices = snapshot.services.count
            report.phases.append(("plan", stopwatch.lap()))
            compiler = IncrementalCompiler(config: config, plan: plan)
            let wanted = compiler.ruleset()
            report.phases.append(("compile", stopwatch.lap()))
            report.programming = try await backend.reconcile(to: wanted)
            report.phases.append(("program", stopwatch.lap()))
            state.programmed = wanted
            report.elements = wanted.elementCount
            report.rules = wanted.ruleCount
        }
        let plan = compiler.plan

        // Stale UDP flows.
        let filters = ConntrackCleanup.filters(old: state.plan, new: plan, services: replanned)
        report.conntrackDeleted = await backend.deleteConntrack(matching: filters)
        report.phases.append(("conntrack", stopwatch.lap()))

        // As kube-proxy, the initial sync reports no programming latency (the trigger times of a
        // first load say when the cluster changed, not how long this proxy took).
        let now = wallClock()
        report.networkProgrammingLatencies = state.plan == nil ? [] : changes.endpoints.sorted().flatMap { key in
            (snapshot.endpointSlicesByService[key] ?? [:]).values.compactMap(\.lastChangeTriggerTime).map { max(0, now - $0) }
        }
        // Gauges over the whole plan: one pass, no sorting.
        let ports = plan.services.values.joined()
        report.servicePorts = plan.services.values.reduce(0) { $0 + $1.count }
        report.noLocalEndpoints = Self.noLocalEndpoints(ports)
        report.healthChecks = plan.healthChecks
        state.compiler = compiler
        return report
    }

    /// kube-proxy's `sync_proxy_rules_no_local_endpoints_total` gauge: service ports whose Local
    /// policy finds no local endpoint while endpoints exist elsewhere.
    static func noLocalEndpoints(_ ports: some Sequence<ServicePortPlan>) -> [String: Int] {
        var counts = ["internal": 0, "external": 0]
        for plan in ports where plan.hasEndpoints && plan.local.isEmpty {
            if plan.internalTrafficPolicy == .local { counts["internal", default: 0] += 1 }
            if plan.externalTrafficPolicy == .local, plan.isExternallyAccessible { counts["external", default: 0] += 1 }
        }
        return counts
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
