import SwitchyardLB
import SwitchyardModel
import SwitchyardRules

/// Everything the sync loop owns, in one value with one owner (no locks): the cluster objects with
/// their change tracking, and what the syncs programmed. While a sync runs, ``programmed`` is moved
/// into it and the store keeps taking the sources' batches (so DNS sees them at once).
public struct ProxyState: Sendable {
    public var store = ClusterStore()
    public var programmed = ProgrammedState()

    public init() {}
}

/// The plan and rules last programmed and the figures derived from them, which syncs keep up to date
/// per changed Service (never recomputed over the whole cluster).
///
/// No copy of the programmed ruleset is kept: transactions carry the set definitions they need, and
/// a resync asks the kernel whether anything changed before reading anything back.
public struct ProgrammedState: Sendable {
    /// The plan and rules last programmed (reference-counted per Service, so an incremental sync
    /// costs O(changed services)); nil before the first successful sync, and while a sync runs (it
    /// takes the compiler out, so mutating it never copies it).
    public var compiler: IncrementalCompiler?
    /// Gauges over the programmed plan, kept per Service.
    public var gauges = PlanGauges()
    /// The health-check node ports of the programmed plan, by Service.
    public var healthChecks: [ObjectKey: ServiceHealthCheck] = [:]
    /// The namespace's interface addresses the programmed plan was made with, for
    /// `--nodeport-addresses CIDR…` (nil: not read yet, or not needed).
    public var hostAddresses: [IPAddress]?

    public init() {}
}
