import SwitchyardModel
import SwitchyardSources

/// A UDP+TCP service `default/app` (10.96.0.10) with endpoints 10.244.0.x on node-a, as manifests.
enum Fixtures {
    static func manifest(endpoints: [Int], externalLocal: Bool = false) -> String {
        let members = endpoints.map { host in
            """
              - addresses: ["10.244.0.\(host)"]
                conditions: {ready: true}
                nodeName: node-a
            """
        }.joined(separator: "\n")
        let spec = externalLocal
            ? "  type: LoadBalancer\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 30100\n"
            : ""
        return """
            apiVersion: v1
            kind: Service
            metadata: {name: app, namespace: default}
            spec:
            \(spec)  clusterIP: 10.96.0.10
              ports:
              - {name: dns, port: 53, protocol: UDP, targetPort: 5353\(externalLocal ? ", nodePort: 30053" : "")}
              - {name: web, port: 80, protocol: TCP, targetPort: 8080\(externalLocal ? ", nodePort: 30080" : "")}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: app-1
              namespace: default
              labels: {kubernetes.io/service-name: app}
            addressType: IPv4
            ports:
            - {name: dns, port: 5353, protocol: UDP}
            - {name: web, port: 8080, protocol: TCP}
            endpoints:\(members.isEmpty ? " []" : "\n" + members)
            """
    }

    static func objects(endpoints: [Int], externalLocal: Bool = false) throws -> [ClusterObject] {
        try ManifestLoader().load(text: manifest(endpoints: endpoints, externalLocal: externalLocal), file: "fixture.yaml")
    }

    /// The first load of the fixture, as a source delivers it.
    static func initialBatch(endpoints: [Int] = [1, 2]) throws -> [ClusterEvent] {
        try objects(endpoints: endpoints).map(ClusterEvent.added)
    }

    /// An update of the EndpointSlice only.
    static func sliceUpdate(endpoints: [Int]) throws -> [ClusterEvent] {
        try objects(endpoints: endpoints).filter { $0.kind == .endpointSlice }.map(ClusterEvent.updated)
    }
}
