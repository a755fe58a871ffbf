import NIOCore
import SwitchyardModel
import Synchronization

/// CoreDNS's `autopath`, node-local: for a query from a known pod of this node whose name is under
/// the first element of that pod's search path (`<name>.<its-namespace>.svc.<zone>`) and does not
/// exist, the server walks the rest of the path itself — `<name>.svc.<zone>`, `<name>.<zone>`, the
/// host's search domains, then `<name>` — and answers with a CNAME from the asked name to the first
/// one that exists, plus its records, so the client stops after one query per address family.
/// When every candidate is NXDOMAIN the original NXDOMAIN goes back and the client walks on.
///
/// The client → namespace map comes from this node's pods only (``Clients``), so memory is
/// O(pods per node), not CoreDNS's cluster-wide `pods verified` watch.
public struct Autopath: Sendable {
    /// Which local address is which namespace's pod. Updated by the daemon as pods change; read per
    /// candidate query (NXDOMAIN answers under `svc` only).
    public final class Clients: Sendable {
        private struct State {
            var namespaceByAddress: [IPAddress: String] = [:]
            var addressesByPod: [ObjectKey: [IPAddress]] = [:]
        }

        private let state = Mutex(State())

        public init() {}

        /// Records `pod` (nil: gone or no longer on this node) under `key`.
        public func update(_ key: ObjectKey, to pod: Pod?) {
            let addresses = pod.map { $0.phase == .succeeded || $0.phase == .failed ? [] : $0.podIPs } ?? []
            state.withLock { state in
                for address in state.addressesByPod[key] ?? [] where state.namespaceByAddress[address] == key.namespace {
                    state.namespaceByAddress[address] = nil
                }
                for address in addresses { state.namespaceByAddress[address] = key.namespace }
                state.addressesByPod[key] = addresses.isEmpty ? nil : addresses
            }
        }

        /// Forgets every pod.
        public func removeAll() {
            state.withLock { $0 = State() }
        }

        /// The namespace of the local pod at `address`.
        public func namespace(of address: IPAddress) -> String? { state.withLock { $0.namespaceByAddress[address] } }

        /// Pods known.
        public var count: Int { state.withLock { $0.addressesByPod.count } }
    }

    public let clients: Clients
    /// The host's search domains (resolv.conf `search`), tried after the cluster ones.
    public let hostSearch: [DNSName]

    public init(clients: Clients, hostSearch: [DNSName]) {
        self.clients = clients
        self.hostSearch = hostSearch
    }

    /// The names to try after `question` (not including it), when it is the first step of a search
    /// walk by the pod at `client`: `base.svc.<zone>`, `base.<zone>`, `base.<host domain>`…, `base`.
    /// Empty when autopath does not apply.
    func candidates(after name: DNSName, client: IPAddress, zone: DNSZone) -> [DNSName] {
        let lower = name.lowercased()
        guard let namespace = clients.namespace(of: client), let namespaceLabel = DNSName(namespace) else { return [] }
        for origin in zone.options.zones {
            guard let svc = origin.prepending("svc"), let first = svc.prepending(label: namespaceLabel.labels.first ?? []),
                  lower.isSubdomain(of: first), lower.wire.count > first.wire.count else { continue }
            // The name with `<ns>.svc.<zone>` cut off, rebuilt under each later element.
            let baseLabels = Array(lower.labels.prefix(lower.labelCount - first.labelCount))
            func under(_ suffix: DNSName) -> DNSName? {
                var result = suffix
                for label in baseLabels.reversed() {
                    guard let next = result.prepending(label: label) else { return nil }
                    result = next
                }
                return result
            }
            return ([svc, origin] + hostSearch + [DNSName.root]).compactMap(under)
        }
        return []
    }
}
