import SwitchyardModel

/// Which endpoints serve Cluster-policy and Local-policy traffic: kube-proxy's `CategorizeEndpoints`
/// (pkg/proxy/topology.go).
///
/// - cluster: ready endpoints that pass the topology filter; if none is ready anywhere, the serving
///   and terminating ones. The filter applies only when every ready endpoint carries a hint of the
///   kind and at least one hint names this node (PreferSameNode, checked first) or this node's zone.
/// - local: this node's ready endpoints, else this node's serving and terminating ones.
/// - hasEndpoints: some endpoint is ready, or serving and terminating, anywhere.
///
/// Hints normally come from the EndpointSlice controller. When the Service sets `trafficDistribution`
/// but no endpoint carries any hint (e.g. manifests read from disk, where no controller runs), the
/// hints the controller would write are implied from each endpoint's own `zone` / `nodeName`:
/// PreferClose and PreferSameZone hint an endpoint for its zone, PreferSameNode for its node and zone.
struct EndpointSelection {
    var cluster: [EndpointAddress]
    var local: [EndpointAddress]
    var hasEndpoints: Bool
    var topology: TopologyMode
    /// Distinct addresses among this node's ready endpoints.
    var localReadyAddressCount: Int

    init(endpoints candidates: [Candidate], trafficDistribution: TrafficDistribution?, node: NodeContext) {
        let hinted = Self.effectiveHints(candidates, trafficDistribution: trafficDistribution)
        topology = TopologyMode(candidates: hinted, nodeName: node.name, zone: node.zone)

        var cluster: [EndpointAddress] = []
        cluster.reserveCapacity(hinted.count)
        var servingTerminating: [EndpointAddress] = []
        var localReady: [EndpointAddress] = []
        var localServingTerminating: [EndpointAddress] = []
        for candidate in hinted {
            let address = candidate.address
            if address.isReady {
                if topology.admits(candidate.hints, nodeName: node.name, zone: node.zone) { cluster.append(address) }
                if address.isLocal { localReady.append(address) }
            } else if address.isServing && address.isTerminating {
                servingTerminating.append(address)
                if address.isLocal { localServingTerminating.append(address) }
            }
        }
        // A ready endpoint anywhere means topology left at least one in `cluster`, so an empty `cluster`
        // here means nothing is ready anywhere.
        self.cluster = cluster.isEmpty ? servingTerminating : cluster
        self.local = localReady.isEmpty ? localServingTerminating : localReady
        hasEndpoints = !self.cluster.isEmpty
        localReadyAddressCount = Self.distinctAddresses(localReady)
    }

    /// Distinct addresses in a list sorted by address (the same address may serve several ports).
    static func distinctAddresses(_ sorted: [EndpointAddress]) -> Int {
        var count = 0
        var previous: IPAddress?
        for address in sorted where address.ip != previous {
            count += 1
            previous = address.ip
        }
        return count
    }

    /// The candidates with the hints selection should read (see the type's note on implied hints).
    static func effectiveHints(_ candidates: [Candidate], trafficDistribution: TrafficDistribution?) -> [Candidate] {
        guard let trafficDistribution, !candidates.contains(where: { $0.hints?.isEmpty == false }) else {
            return candidates
        }
        return candidates.map { candidate in
            var implied = candidate
            let zones = candidate.zone.map { [$0] } ?? []
            switch trafficDistribution {
            case .preferClose, .preferSameZone:
                implied.hints = EndpointHints(forZones: zones)
            case .preferSameNode:
                implied.hints = EndpointHints(forZones: zones, forNodes: candidate.address.nodeName.map { [$0] } ?? [])
            }
            return implied
        }
    }
}

/// The topology filter in force for one service port (kube-proxy's `topologyModeFromHints`).
enum TopologyMode: Sendable, Hashable {
    /// Every ready endpoint is used.
    case none
    /// Only ready endpoints hinted for this node.
    case sameNode
    /// Only ready endpoints hinted for this node's zone.
    case sameZone

    init(candidates: [Candidate], nodeName: String, zone: String?) {
        var anyReady = false
        var allHaveNodeHints = true, someForNode = false
        var allHaveZoneHints = true, someForZone = false
        for candidate in candidates where candidate.address.isReady {
            anyReady = true
            let nodes = candidate.hints?.forNodes ?? []
            if nodes.isEmpty { allHaveNodeHints = false } else if nodes.contains(nodeName) { someForNode = true }
            let zones = candidate.hints?.forZones ?? []
            if zones.isEmpty {
                allHaveZoneHints = false
            } else if let zone, zones.contains(zone) {
                someForZone = true
            }
        }
        if !anyReady {
            self = .none
        } else if allHaveNodeHints && someForNode {
            self = .sameNode
        } else if allHaveZoneHints && someForZone {
            self = .sameZone
        } else {
            self = .none
        }
    }

    func admits(_ hints: EndpointHints?, nodeName: String, zone: String?) -> Bool {
        switch self {
        case .none: true
        case .sameNode: hints?.forNodes.contains(nodeName) ?? false
        case .sameZone: zone.map { hints?.forZones.contains($0) ?? false } ?? false
        }
    }
}

extension EndpointHints {
    var isEmpty: Bool { forZones.isEmpty && forNodes.isEmpty }
}
