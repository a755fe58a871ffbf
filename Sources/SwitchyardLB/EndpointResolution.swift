import SwitchyardModel

/// An endpoint resolved for one service port and family, with what selection reads besides the address.
struct Candidate: Sendable, Hashable {
    var address: EndpointAddress
    var zone: String?
    var hints: EndpointHints?
}

/// Resolves a Service port to the endpoints of one family, as kube-proxy's EndpointSliceCache does.
enum EndpointResolution {
    /// For each slice of the family (in the given order, by name): the slice port with the Service
    /// port's name and protocol gives the port number (slices without it, or with no number, contribute
    /// nothing); each endpoint contributes its first address when that is of the family. The same
    /// `ip:port` seen several times counts once: the first seen wins, unless a later copy is local and
    /// the kept one is not (kube-proxy's rule). Returns the candidates sorted by address, then port.
    static func endpoints(
        for servicePort: ServicePort, family: IPFamily, slices: some Collection<EndpointSlice>, nodeName: String
    ) -> [Candidate] {
        var result: [Candidate] = []
        for slice in slices where slice.addressType.family == family {
            guard let slicePort = slice.ports.first(where: {
                      $0.name == servicePort.name && $0.protocol == servicePort.protocol
                  }),
                  let number = slicePort.port, (1...65_535).contains(number)
            else { continue }
            result.reserveCapacity(result.count + slice.endpoints.count)
            for index in slice.endpoints.indices {
                guard let ip = slice.endpoints[index].addresses.first, ip.family == family else { continue }
                let conditions = slice.endpoints[index].conditions
                let node = slice.endpoints[index].nodeName
                result.append(Candidate(
                    address: EndpointAddress(
                        ip: ip, port: number, isLocal: node == nodeName, nodeName: node,
                        isReady: conditions.isReady, isServing: conditions.isServing,
                        isTerminating: conditions.isTerminating
                    ),
                    zone: slice.endpoints[index].zone,
                    hints: slice.endpoints[index].hints
                ))
            }
        }
        return sortedUnique(result)
    }

    /// Sorts by address and port and keeps one candidate per `ip:port`: the first local one if any,
    /// else the first one. Sorts small plain keys, not the candidates, and returns the input untouched
    /// when it is already sorted without duplicates (one slice listed in order, the common case).
    private static func sortedUnique(_ candidates: [Candidate]) -> [Candidate] {
        guard candidates.count > 1, !isStrictlyIncreasing(candidates) else { return candidates }
        let order = candidates.indices.map { SortKey(ip: candidates[$0].address.ip, port: candidates[$0].address.port, index: $0) }
            .sorted()
        var unique: [Candidate] = []
        unique.reserveCapacity(candidates.count)
        var previous: SortKey?
        for key in order {
            let candidate = candidates[key.index]
            if let previous, previous.ip == key.ip, previous.port == key.port {
                if candidate.address.isLocal && !unique[unique.count - 1].address.isLocal { unique[unique.count - 1] = candidate }
            } else {
                unique.append(candidate)
            }
            previous = key
        }
        return unique
    }

    /// Address, port, then position in the input (so equal targets keep their input order).
    private struct SortKey: Comparable {
        var ip: IPAddress
        var port: Int
        var index: Int

        static func < (lhs: SortKey, rhs: SortKey) -> Bool {
            if lhs.ip != rhs.ip { return lhs.ip < rhs.ip }
            if lhs.port != rhs.port { return lhs.port < rhs.port }
            return lhs.index < rhs.index
        }
    }

    private static func isStrictlyIncreasing(_ candidates: [Candidate]) -> Bool {
        for index in candidates.indices.dropFirst() where !(candidates[index - 1].address < candidates[index].address) {
            return false
        }
        return true
    }
}
