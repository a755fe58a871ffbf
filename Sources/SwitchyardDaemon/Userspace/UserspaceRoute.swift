import NIOCore
import SwitchyardLB
import SwitchyardModel
import Synchronization

/// The endpoints one userspace listener spreads over, replaced at each sync; shared by the
/// listener's connections. Picks in rotation; a connection that fails moves on to the next one.
final class UserspaceRoute: Sendable {
    private let endpoints: Mutex<[SocketAddress]>
    private let next = Atomic<Int>(0)

    init(_ endpoints: [EndpointAddress]) {
        self.endpoints = Mutex(Self.addresses(endpoints))
    }

    static func addresses(_ endpoints: [EndpointAddress]) -> [SocketAddress] {
        endpoints.compactMap { try? SocketAddress(ipAddress: "\($0.ip)", port: $0.port) }
    }

    func replace(with endpoints: [EndpointAddress]) {
        let addresses = Self.addresses(endpoints)
        self.endpoints.withLock { $0 = addresses }
    }

    /// The endpoints to try for one new connection or flow, in order: the rotation's next one first,
    /// then the others.
    func candidates() -> [SocketAddress] {
        let all = endpoints.withLock { $0 }
        guard !all.isEmpty else { return [] }
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue % all.count
        return Array(all[start...] + all[..<start])
    }
}
