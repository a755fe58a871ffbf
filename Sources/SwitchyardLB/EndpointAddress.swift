import SwitchyardModel

/// One usable endpoint of a service port in one family: the DNAT target `ip:port`, with what the
/// planner used to choose it. Ordered by address, then port: the order of slot tables and cascades.
public struct EndpointAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    // Stored in this order so the flags fill the address's padding: 48 bytes a value instead of 64
    // (plans hold one per selected endpoint per service port).
    /// The endpoint's address (the first of its `addresses`).
    public var ip: IPAddress
    /// The endpoint runs on this node (`nodeName` equals ``ProxyConfig/nodeName``).
    public var isLocal: Bool
    /// Conditions as the API means them (nil already resolved: ready ⇐ nil, serving ⇐ ready).
    public var isReady: Bool
    /// See ``isReady``.
    public var isServing: Bool
    /// See ``isReady``.
    public var isTerminating: Bool
    /// The target port, from the slice port matching the service port.
    public var port: Int
    /// The node the endpoint runs on, when the slice says.
    public var nodeName: String?

    public init(
        ip: IPAddress, port: Int, isLocal: Bool = false, nodeName: String? = nil,
        isReady: Bool = true, isServing: Bool = true, isTerminating: Bool = false
    ) {
        self.ip = ip
        self.port = port
        self.isLocal = isLocal
        self.nodeName = nodeName
        self.isReady = isReady
        self.isServing = isServing
        self.isTerminating = isTerminating
    }

    /// `ip:port`, or `[ip]:port` for IPv6 (the form kube-proxy prints and Maglev hashes).
    public var description: String {
        switch ip {
        case .v4: "\(ip):\(port)"
        case .v6: "[\(ip)]:\(port)"
        }
    }

    /// Ordered by address, then port; ties (which the planner never produces) broken by the rest.
    public static func < (lhs: EndpointAddress, rhs: EndpointAddress) -> Bool {
        if lhs.ip != rhs.ip { return lhs.ip < rhs.ip }
        return lhs.port < rhs.port
    }
}
