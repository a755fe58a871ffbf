import SwitchyardModel

/// A generated cluster for the DNS benchmark and scale tests: `services` Services spread over 100
/// namespaces (every tenth headless), each with two ports and an EndpointSlice, and `pods` Pods
/// spread evenly over them as endpoints. Names are `svc-<i>.ns-<i % 100>`; the same input always
/// gives the same objects.
public enum BenchmarkCluster {
    public static let namespaceCount = 100

    /// The namespace of service `i`.
    public static func namespace(of i: Int) -> String { "ns-\(i % namespaceCount)" }

    /// Whether service `i` is headless.
    public static func isHeadless(_ i: Int) -> Bool { i % 10 == 9 }

    public static func objects(services: Int, pods: Int) -> [ClusterObject] {
        var objects: [ClusterObject] = (0..<namespaceCount).map { .namespace(Namespace(name: "ns-\($0)")) }
        objects.reserveCapacity(namespaceCount + 2 * services + pods)
        let perService = services == 0 ? 0 : pods / services
        var podIndex = 0
        for i in 0..<services {
            let ns = namespace(of: i)
            let name = "svc-\(i)"
            let clusterIP = IPAddress.v4(IPv4Address(UInt32(10 << 24 | 96 << 16) + UInt32(i + 1)))
            objects.append(.service(Service(
                namespace: ns, name: name, clusterIPs: isHeadless(i) ? [] : [clusterIP], isHeadless: isHeadless(i),
                ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080)),
                        ServicePort(name: "dns", protocol: .udp, port: 53)])))
            var endpoints: [Endpoint] = []
            for _ in 0..<perService {
                let ip = IPAddress.v4(IPv4Address(UInt32(10 << 24 | 244 << 16) + UInt32(podIndex + 1)))
                let podName = "\(name)-\(podIndex)"
                endpoints.append(Endpoint(
                    addresses: [ip], conditions: EndpointConditions(ready: true), nodeName: "node-1",
                    targetRef: ObjectReference(kind: "Pod", namespace: ns, name: podName)))
                objects.append(.pod(Pod(namespace: ns, name: podName, podIPs: [ip], nodeName: "node-1", phase: .running)))
                podIndex += 1
            }
            objects.append(.endpointSlice(EndpointSlice(
                namespace: ns, name: "\(name)-1", labels: [WellKnownLabel.serviceName: name], endpoints: endpoints,
                ports: [EndpointPort(name: "http", port: 8080), EndpointPort(name: "dns", protocol: .udp, port: 53)])))
        }
        return objects
    }
}
