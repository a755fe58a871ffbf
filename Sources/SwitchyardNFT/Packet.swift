/// Where a traced packet comes from.
public enum PacketOrigin: Sendable, Hashable {
    /// Received on an interface (walks prerouting, then input or forward + postrouting).
    case remote(interface: String)
    /// Sent by a local process (walks output + postrouting, then input if it stays on the node).
    case localProcess
}

/// The first packet of a connection, as the tracer sees it.
public struct Packet: Sendable, Hashable, CustomStringConvertible {
    public var source: Address
    public var sourcePort: UInt16
    public var destination: Address
    public var destinationPort: UInt16
    public var proto: L4Proto
    public var origin: PacketOrigin
    public var mark: UInt32

    public init(from source: Address, sourcePort: UInt16 = 40000, to destination: Address, port destinationPort: UInt16,
                proto: L4Proto = .tcp, origin: PacketOrigin = .remote(interface: "eth0"), mark: UInt32 = 0) {
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.proto = proto
        self.origin = origin
        self.mark = mark
    }

    /// `ip` or `ip6`, from the destination address.
    public var family: Family { destination.family }

    public var description: String {
        let host = { (address: Address) in address.family == .ip6 ? "[\(address)]" : address.description }
        return "\(proto) \(host(source)):\(sourcePort) → \(host(destination)):\(destinationPort)"
    }
}

/// A local socket bound to one address and port (for `socket transparent`).
public struct BoundSocket: Sendable, Hashable {
    public var address: Address
    public var port: UInt16
    public var proto: L4Proto

    public init(_ address: Address, port: UInt16, proto: L4Proto) {
        self.address = address
        self.port = port
        self.proto = proto
    }
}

/// The node around the ruleset: its own addresses (for `fib … type local` and routing), its
/// transparent sockets and policy routing, and the clock.
public struct TraceEnvironment: Sendable, Hashable {
    public var localAddresses: Swift.Set<Address>
    /// Sockets with IP(V6)_TRANSPARENT set, bound to a (possibly non-local) address.
    public var transparentSockets: Swift.Set<BoundSocket>
    /// A policy route (`ip rule fwmark M/M lookup T` with `local default dev lo` in T): packets whose
    /// mark has any of these bits are delivered locally, whatever their destination. 0: none.
    public var localDeliveryMark: UInt32
    /// Seconds on the fake's clock; dynamic-set timeouts are relative to it.
    public var now: Double

    public init(localAddresses: Swift.Set<Address>, transparentSockets: Swift.Set<BoundSocket> = [], localDeliveryMark: UInt32 = 0,
                now: Double = 0) {
        self.localAddresses = localAddresses
        self.transparentSockets = transparentSockets
        self.localDeliveryMark = localDeliveryMark
        self.now = now
    }

    /// Whether `address` is one of the node's (loopback included).
    public func isLocal(_ address: Address) -> Bool { address.isLoopback || localAddresses.contains(address) }
}

/// Where an accepted packet ends up.
public struct Delivery: Sendable, Hashable, CustomStringConvertible {
    /// Destination after DNAT (or the original one).
    public var address: Address
    public var port: UInt16
    /// Whether a masquerade (SNAT to the node) applied in postrouting.
    public var masqueraded: Bool
    /// Delivered to the node itself (input) rather than forwarded.
    public var local: Bool

    public init(address: Address, port: UInt16, masqueraded: Bool, local: Bool) {
        self.address = address
        self.port = port
        self.masqueraded = masqueraded
        self.local = local
    }

    public var description: String {
        let host = address.family == .ip6 ? "[\(address)]" : address.description
        return "\(host):\(port)" + (masqueraded ? " masqueraded" : "") + (local ? " local" : "")
    }
}

/// The fate of a traced packet.
public enum TraceOutcome: Sendable, Hashable, CustomStringConvertible {
    case accepted(Delivery)
    case dropped
    case rejected(RejectKind)

    /// The destination of an accepted packet.
    public var delivery: Delivery? { if case .accepted(let delivery) = self { delivery } else { nil } }

    public var description: String {
        switch self {
        case .accepted(let delivery): "accepted to \(delivery)"
        case .dropped: "dropped"
        case .rejected(let kind): "rejected (\(kind))"
        }
    }
}

/// One rule that matched while tracing.
public struct TraceStep: Sendable, Hashable {
    public var table: TableRef
    public var chain: String
    /// Position of the rule in its chain.
    public var index: Int
    public var rule: Rule
}

/// One traced packet: the outcome and the rules that matched on the way, for failure messages.
public struct Trace: Sendable, Hashable, CustomStringConvertible {
    public var outcome: TraceOutcome
    public var steps: [TraceStep]

    /// `table chain #index: rule` for each rule that matched (rendered on demand).
    public var path: [String] { steps.map { "\($0.table) \($0.chain) #\($0.index): \($0.rule.body)" } }

    public var description: String { "\(outcome)\n" + path.map { "  " + $0 }.joined(separator: "\n") }
}
