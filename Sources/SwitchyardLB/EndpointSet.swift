import SwitchyardModel
/// What to do with a new flow when an endpoint set is empty.
public enum NoEndpointsVerdict: String, Sendable, Hashable {
    /// No usable endpoint anywhere in the cluster: TCP reset / ICMP port unreachable.
    case reject
    /// A Local traffic policy with no endpoint on this node while others exist elsewhere: drop, so the
    /// client (or the cloud load balancer's health check) sees this node as not serving.
    case drop
}

/// A set of endpoints one kind of traffic is spread over, with its dispatch table.
public struct EndpointSet: Sendable, Hashable {
    /// Sorted by address, then port; no duplicates.
    public var endpoints: [EndpointAddress]
    /// How a new flow picks one of ``endpoints``.
    public var table: DispatchTable
    /// What happens to a new flow when ``endpoints`` is empty (decided even when it is not, so a
    /// compiler can precompute it).
    public var ifEmpty: NoEndpointsVerdict

    public init(endpoints: [EndpointAddress], table: DispatchTable, ifEmpty: NoEndpointsVerdict) {
        self.endpoints = endpoints
        self.table = table
        self.ifEmpty = ifEmpty
    }

    /// No endpoint: new flows get ``ifEmpty``.
    public var isEmpty: Bool { endpoints.isEmpty }
    /// The number of endpoints (not slots).
    public var count: Int { endpoints.count }

    /// The endpoint of every slot, in slot order: the values of the slot map (`slot → address . port`).
    /// Key slot elements by slot and value them by address, so a table change rewrites only the slots
    /// whose endpoint changed (Maglev keeps most of them).
    public var slotEndpoints: [EndpointAddress] { table.slots.map { endpoints[$0] } }

    /// The endpoint in slot `slot` of the table (nil for `chains` or an out-of-range slot).
    public func endpoint(inSlot slot: Int) -> EndpointAddress? {
        guard table.slots.indices.contains(slot) else { return nil }
        return endpoints[table.slots[slot]]
    }
}

/// The dispatch table of one endpoint set: slot → index into ``EndpointSet/endpoints``.
///
/// - `random`, `roundrobin`, `sourcehash`: N slots for N endpoints, slot i → endpoint i.
/// - `maglev`: M slots (M prime, see ``MaglevSizing``), filled by ``Maglev/table(for:size:)``.
/// - `chains`: no slots; endpoint i is taken with ``ProbabilityCascade/probability(index:of:)``.
/// An empty endpoint set has no slots in every model.
public struct DispatchTable: Sendable, Hashable {
    /// The model the table was built for.
    public var model: DispatchModel
    /// Slot → endpoint index. Its count is the modulus of `numgen` / `jhash`.
    public var slots: [Int]

    public init(model: DispatchModel, slots: [Int]) {
        self.model = model
        self.slots = slots
    }

    /// The modulus (number of slots); 0 for `chains` or no endpoints.
    public var size: Int { slots.count }
}
