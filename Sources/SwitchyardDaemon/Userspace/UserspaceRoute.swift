import NIOCore
import SwitchyardLB
import SwitchyardModel
import Synchronization

/// The endpoints one userspace listener spreads over, replaced at each sync; shared by the
/// listener's connections. Picks in rotation; a connection that fails moves on to the next one.
/// With ClientIP session affinity a client keeps the endpoint it last reached for the timeout.
final class UserspaceRoute: Sendable {
    private let endpoints: Mutex<[SocketAddress]>
    private let next = Atomic<Int>(0)
    /// `sessionAffinityTimeout` seconds, nil without ClientIP affinity.
    private let affinityTimeout = Mutex<Int?>(nil)
    /// Client address → (endpoint, expiry).
    private let sticky = Mutex<[String: (SocketAddress, NIODeadline)]>([:])

    init(_ endpoints: [EndpointAddress], affinityTimeout: Int? = nil) {
        self.endpoints = Mutex(Self.addresses(endpoints))
        self.affinityTimeout.withLock { $0 = affinityTimeout }
    }

    func setAffinity(_ timeout: Int?) {
        affinityTimeout.withLock { $0 = timeout }
        if timeout == nil { sticky.withLock { $0 = [:] } }
    }

    /// Records that `client` reached `endpoint` (affinity keeps it there).
    func connected(_ client: SocketAddress?, to endpoint: SocketAddress) {
        guard let timeout = affinityTimeout.withLock({ $0 }), let ip = client?.ipAddress else { return }
        let expiry = NIODeadline.now() + .seconds(Int64(timeout))
        sticky.withLock { table in
            if table.count > 100_000 { table = table.filter { $0.value.1 > .now() } }
            table[ip] = (endpoint, expiry)
        }
    }

    static func addresses(_ endpoints: [EndpointAddress]) -> [SocketAddress] {
        endpoints.compactMap { try? SocketAddress(ipAddress: "\($0.ip)", port: $0.port) }
    }

    func replace(with endpoints: [EndpointAddress]) {
        let addresses = Self.addresses(endpoints)
        self.endpoints.withLock { $0 = addresses }
    }

    /// The endpoints to try for one new connection or flow from `client`, in order: its sticky
    /// endpoint (affinity, while it is still an endpoint), else the rotation's next one, then the others.
    func candidates(for client: SocketAddress? = nil) -> [SocketAddress] {
        let all = endpoints.withLock { $0 }
        guard !all.isEmpty else { return [] }
        if let ip = client?.ipAddress, let (endpoint, expiry) = sticky.withLock({ $0[ip] }), expiry > .now(),
           let index = all.firstIndex(of: endpoint) {
            return Array(all[index...] + all[..<index])
        }
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue % all.count
        return Array(all[start...] + all[..<start])
    }
}
