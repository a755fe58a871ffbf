import SwitchyardModel

/// An endpoint resolved for one service port and family, with the topology hints selection reads.
struct Candidate: Sendable, Hashable {
    var address: EndpointAddress
    var hints: EndpointHints?
}

/// Resolves a Service port to the endpoints of one family, as kube-proxy's EndpointSliceCache does.
enum EndpointResolution {
    /// For each slice of the family (sorted by name): the slice port with the Service port's name and
    /// protocol gives the port number (slices without it, or with no number, contribute nothing); each
    /// endpoint contributes its first address when that is of the family. The same `ip:port` from several
    /// slices counts once: the first seen wins, unless a later copy is local and the kept one is not
    /// (kube-proxy's rule). Returns the candidates sorted by address, then port.
    static func endpoints(
        for servicePort: ServicePort, family: IPFamily, slices: [EndpointSlice], nodeName: String
    ) -> [Candidate] {
        var result: [Candidate] = []
        var indexByTarget: [Target: Int] = [:]
        for slice in slices {
            guard slice.addressType.family == family,
                  let slicePort = slice.ports.first(where: {
                      $0.name == servicePort.name && $0.protocol == servicePort.protocol
                  }),
                  let number = slicePort.port, (1...65_535).contains(number)
            else { continue }
            for endpoint in slice.endpoints {
                guard let ip = endpoint.addresses.first, ip.family == family else { continue }
                let conditions = endpoint.conditions
                let candidate = Candidate(
                    address: EndpointAddress(
                        ip: ip, port: number, isLocal: endpoint.nodeName == nodeName, nodeName: endpoint.nodeName,
                        zone: endpoint.zone, isReady: conditions.isReady, isServing: conditions.isServing,
                        isTerminating: conditions.isTerminating
                    ),
                    hints: endpoint.hints
                )
                let target = Target(ip: ip, port: number)
                if let existing = indexByTarget[target] {
                    if candidate.address.isLocal && !result[existing].address.isLocal { result[existing] = candidate }
                } else {
                    indexByTarget[target] = result.count
                    result.append(candidate)
                }
            }
        }
        result.sort { $0.address < $1.address }
        return result
    }

    private struct Target: Hashable {
        var ip: IPAddress
        var port: Int
    }
}
