import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT

/// Everything the sync loop owns, in one value with one owner (no locks): the cluster objects with
/// their change tracking, the plan and the typed ruleset that were last programmed.
public struct ProxyState: Sendable {
    public var store = ClusterStore()
    /// The plan behind ``programmed``; nil before the first successful sync.
    public var plan: ClusterPlan?
    /// What the backend holds, as far as the loop knows (a resync checks).
    public var programmed = Ruleset()

    public init() {}
}
