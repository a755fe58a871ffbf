#if canImport(Glibc)
import Glibc
#endif

/// The sizes Switchyard declares for its large sets. A set created without a size is the kernel's
/// resizable hash (`nft_rhash`): filling one with 1M elements in a transaction spends half the
/// commit in `rhashtable_insert_slow` while the table grows under the inserts (perf of `switchyard
/// bench --services 10000 --endpoints-per-service 100`: 28% of all samples). Created with a size, the
/// set is the fixed-size hash (`nft_hash`) with its buckets allocated up front, and the same commit
/// takes about half the time. The size is also a cap (the kernel refuses elements beyond it,
/// `ENFILE`), so it is declared with headroom, only on sets that start large, and raised when a
/// commit outgrows it (a set update, Linux 6.5 and later: on older kernels no size is declared).
public struct SetCapacity: Sendable, Hashable {
    /// Sets created with more elements than this are declared with a size.
    public var threshold: Int
    /// Sizes are rounded up to a multiple of this.
    public var granularity: Int

    public static let standard = SetCapacity(threshold: 65_536, granularity: 65_536)

    public init(threshold: Int, granularity: Int) {
        self.threshold = threshold
        self.granularity = granularity
    }

    /// The size to declare for a set created with `count` elements, or nil to let the kernel pick
    /// the resizable hash: one and a half times the count, rounded up (the kernel's buckets are the
    /// next power of two of 4/3 of the size, so 1M elements sit in 2M buckets).
    public func declaredSize(forCount count: Int) -> UInt32? {
        guard count > threshold else { return nil }
        return roundedUp(count + count / 2)
    }

    /// The size that lets `adding` more elements into a set now declared with `current`.
    public func raisedSize(from current: UInt32, adding: Int) -> UInt32 {
        let needed = Int(current) + max(adding, 1)
        return roundedUp(needed + needed / 2)
    }

    private func roundedUp(_ count: Int) -> UInt32 {
        UInt32(clamping: (count + granularity - 1) / granularity * granularity)
    }

    /// The sizes to declare for the sets `operations` create, from the elements the same operations
    /// add to them; keyed by ``SetName``.
    func declaredSizes(for operations: [KernelOperation]) -> [SetName: UInt32] {
        var created: Set<SetName> = []
        for operation in operations {
            if case .addSet(let set) = operation.kind { created.insert(SetName(set)) }
        }
        let added = Self.addedElements(in: operations)
        var sizes: [SetName: UInt32] = [:]
        for name in created {
            if let size = declaredSize(forCount: added[name] ?? 0) { sizes[name] = size }
        }
        return sizes
    }

    /// How many elements `operations` add to each set.
    static func addedElements(in operations: [KernelOperation]) -> [SetName: Int] {
        var added: [SetName: Int] = [:]
        for operation in operations {
            if case .addElements(let set, let elements, _) = operation.kind { added[SetName(set), default: 0] += elements.count }
        }
        return added
    }

    /// Whether the running kernel lets a set's size be raised (Linux 6.5, "permit update of set
    /// size"); without that a declared size would be a cap for the set's lifetime.
    public static let kernelRaisesSizes: Bool = {
        var name = utsname()
        guard uname(&name) == 0 else { return false }
        return raisesSizes(release: withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
    }()

    /// Whether a kernel of this release (`uname -r`) lets a set's size be raised: 6.5 or later.
    static func raisesSizes(release: String) -> Bool {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return false }
        return (parts[0], parts[1]) >= (6, 5)
    }
}

/// A set by family, table and name (what a set's size is declared for).
struct SetName: Hashable, Sendable, CustomStringConvertible {
    var family: KernelFamily
    var table: String
    var name: String

    init(_ set: KernelSet) {
        family = set.family
        table = set.table
        name = set.name
    }

    var description: String { "\(family.name) \(table) \(name)" }
}
