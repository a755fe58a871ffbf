import SwitchyardModel

/// A generated cluster for the DNS benchmark and scale tests: `services` Services spread over 100
/// namespaces (every tenth headless), each with two ports and an EndpointSlice, and `pods` Pods
/// spread evenly over them as endpoints — or, with `endpointsPerService`, that many endpoints per
/// Service picked round the Pods as the daemon benchmark's cluster picks them (Service `s` takes
/// Pods `(s × E + j) mod pods`, so each Pod's address serves several Services and its reverse name
/// gathers their PTRs). Names are `svc-<i>.ns-<i % 100>`; the same input always gives the same objects.
public enum BenchmarkCluster {
    public static let namespaceCount = 100

    /// The namespace of service `i`.
    public static func namespace(of i: Int) -> String { "ns-\(i % namespaceCount)" }

    /// Whether service `i` is headless.
    public static func isHeadless(_ i: Int) -> Bool { i % 10 == 9 }

    public static func objects(services: Int, pods: Int, endpointsPerService: Int? = nil) -> [ClusterObject] {
        var objects: [ClusterObject] = (0..<namespaceCount).map { .namespace(Namespace(name: "ns-\($0)")) }
        objects.reserveCapacity(namespaceCount + 2 * services + pods)
        if let endpointsPerService {
            // The Pods first, each in the namespace of the first Service that picks it.
            for p in 0..<pods {
                let ip = podAddress(p)
                objects.append(.pod(Pod(namespace: namespace(of: p / max(1, endpointsPerService)), name: "pod-\(p)", podIPs: [ip],
                                        nodeName: "node-1", phase: .running)))
            }
            for i in 0..<services {
                let picks = pods == 0 ? [] : (0..<endpointsPerService).map { (i * endpointsPerService + $0) % pods }
                appendService(i, endpoints: picks.map { (podAddress($0), "pod-\($0)") }, to: &objects)
            }
            return objects
        }
        let perService = services == 0 ? 0 : pods / services
        for i in 0..<services {
            let picks = (i * perService)..<((i + 1) * perService)
            for p in picks {
                objects.append(.pod(Pod(namespace: namespace(of: i), name: "svc-\(i)-\(p)", podIPs: [podAddress(p)],
                                        nodeName: "node-1", phase: .running)))
            }
            appendService(i, endpoints: picks.map { (podAddress($0), "svc-\(i)-\($0)") }, to: &objects)
        }
        return objects
    }

    /// The address of Pod `p`: 10.244.0.0/16 onwards.
    private static func podAddress(_ p: Int) -> IPAddress {
        .v4(IPv4Address(UInt32(10 << 24 | 244 << 16) + UInt32(p + 1)))
    }

    /// Service `i` and its EndpointSlice with one ready endpoint per (address, Pod name).
    private static func appendService(_ i: Int, endpoints: [(IPAddress, String)], to objects: inout [ClusterObject]) {
        let ns = namespace(of: i)
        let name = "svc-\(i)"
        let clusterIP = IPAddress.v4(IPv4Address(UInt32(10 << 24 | 96 << 16) + UInt32(i + 1)))
        objects.append(.service(Service(
            namespace: ns, name: name, clusterIPs: isHeadless(i) ? [] : [clusterIP], isHeadless: isHeadless(i),
            ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080)),
                    ServicePort(name: "dns", protocol: .udp, port: 53)])))
        let sliceEndpoints = endpoints.map { ip, podName in
            Endpoint(addresses: [ip], conditions: EndpointConditions(ready: true), nodeName: "node-1",
                     targetRef: ObjectReference(kind: "Pod", namespace: ns, name: podName))
        }
        objects.append(.endpointSlice(EndpointSlice(
            namespace: ns, name: "\(name)-1", labels: [WellKnownLabel.serviceName: name], endpoints: sliceEndpoints,
            ports: [EndpointPort(name: "http", port: 8080), EndpointPort(name: "dns", protocol: .udp, port: 53)])))
    }
}
