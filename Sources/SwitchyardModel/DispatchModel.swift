/// How one service port spreads new flows over its endpoints (`--dispatch`).
///
/// The raw values are the CLI spellings. All models give each endpoint an equal share; they differ in
/// what picks the share (a random number, a counter, a hash of the client) and in how much of the
/// assignment survives an endpoint change.
public enum DispatchModel: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// iptables-style cascade: endpoint i of n is taken with probability 1/(n−i), rule after rule.
    /// No slot table; see ``ProbabilityCascade``.
    case chains
    /// `numgen random mod N` into a table of N slots, one per endpoint (the default).
    case random
    /// `numgen inc mod N` into a table of N slots: strict rotation (IPVS `rr`).
    case roundrobin
    /// A hash of the client address modulo N into a table of N slots (IPVS `sh`).
    case sourcehash
    /// A hash of the client address (or, with per-flow hashing, of the flow) into a Maglev lookup
    /// table of prime size M (IPVS `mh`, Cilium):
    /// when an endpoint goes away, flows of the others mostly keep their endpoint. See ``Maglev``.
    case maglev

    /// The model used when none is configured.
    public static let `default`: DispatchModel = .random

    /// Whether the model dispatches through a slot table (everything but ``chains``).
    public var usesSlotTable: Bool { self != .chains }

    /// Whether the slot is chosen by hashing the packet (so the same client keeps landing in the same slot).
    public var isHashed: Bool { self == .sourcehash || self == .maglev }

    public var description: String { rawValue }
}
