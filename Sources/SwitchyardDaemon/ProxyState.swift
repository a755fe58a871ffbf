import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
import SwitchyardRules

/// Everything the sync loop owns, in one value with one owner (no locks): the cluster objects with
/// their change tracking, and the compiled state that was last programmed.
public struct ProxyState: Sendable {
    public var store = ClusterStore()
    /// The plan and rules last programmed (reference-counted per Service, so an incremental sync
    /// costs O(changed services)); nil before the first successful sync.
    public var compiler: IncrementalCompiler?
    /// What the backend was last made equal to by a full sync, with the set definitions added or
    /// removed by incremental syncs since (what lowering element operations needs).
    public var programmed = Ruleset()

    public init() {}

    /// The plan behind the programmed rules.
    public var plan: ClusterPlan? { compiler?.plan }
}

extension Ruleset {
    /// Follows the set definitions (not the elements) a committed transaction added or deleted.
    mutating func followSetDefinitions(of transaction: Transaction) {
        for operation in transaction.operations {
            guard case .set(let set) = operation.object else { continue }
            switch operation.verb {
            case .add, .create: if self.set(set.table, set.name) == nil { add(set) }
            case .delete: tables[set.table]?.sets[set.name] = nil
            default: break
            }
        }
    }
}
