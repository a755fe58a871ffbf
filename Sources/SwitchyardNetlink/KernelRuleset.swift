/// One table's complete kernel-level content: what is programmed (read back over netlink) or what
/// is wanted (lowered from the typed model). Reconciliation compares two of these.
public struct KernelRuleset: Sendable, Hashable {
    public var family: KernelFamily
    public var table: String
    /// Whether the table exists at all.
    public var exists: Bool
    /// The table's comment (nft user data).
    public var comment: String?
    public var chains: [String: KernelChain] = [:]
    /// Each chain's rules, in order.
    public var rules: [String: [KernelRule]] = [:]
    public var sets: [String: KernelSet] = [:]
    /// Each set's elements. Sets the data path fills (`NFT_SET_EVAL`, e.g. session affinity) are
    /// listed but never reconciled element by element.
    public var elements: [String: [KernelElement]] = [:]
    /// Sets whose elements were not read back (see ``Reconciler/readBackLimit``): the reconciler
    /// rewrites their contents whole instead of comparing them.
    public var unreadElements: Set<String> = []
    /// The sizes sets were declared with (``SetCapacity``), by set name; a set without one is absent.
    /// Not part of a set's definition: a size is raised in place, never a reason to rebuild.
    public var declaredSizes: [String: UInt32] = [:]

    public init(family: KernelFamily, table: String, exists: Bool = true) {
        self.family = family
        self.table = table
        self.exists = exists
    }

    /// Objects in the table: chains + rules + sets + elements.
    public var objectCount: Int {
        chains.count + rules.values.reduce(0) { $0 + $1.count } + sets.count + elements.values.reduce(0) { $0 + $1.count }
    }
}

extension KernelSet {
    /// Filled by the data path (`update @set`), so its elements are not Switchyard's to reconcile.
    public var isDynamic: Bool { flags & 0x20 != 0 }

}
