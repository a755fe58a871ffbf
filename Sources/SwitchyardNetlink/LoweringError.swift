import SwitchyardNFT

/// A typed nftables object that has no kernel encoding here (yet), named so the gap is obvious.
public struct LoweringError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The object, e.g. `rule ip switchyard services`.
    public var object: String
    /// What could not be lowered.
    public var reason: String

    public var description: String { "cannot encode \(object) for the kernel: \(reason)" }
}
