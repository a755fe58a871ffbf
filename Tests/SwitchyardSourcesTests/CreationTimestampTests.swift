import SwitchyardModel
import SwitchyardSources
import Testing

@Suite("Service creation time")
struct CreationTimestampTests {
    @Test("metadata.creationTimestamp is read (it decides load-balancer IP conflicts); absent, it is nil")
    func read() throws {
        let text = """
            apiVersion: v1
            kind: Service
            metadata: {name: old, namespace: default, creationTimestamp: "2024-01-02T03:04:05Z"}
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: new, namespace: default}
            spec: {clusterIP: 10.96.0.2, ports: [{port: 80}]}
            """
        let services = try ManifestLoader().load(text: text, file: "s.yaml").compactMap { object -> Service? in
            if case .service(let service) = object { service } else { nil }
        }
        #expect(services.map(\.creationTimestamp) == [1_704_164_645, nil])
        #expect(services[0].precedes(services[1]))
    }
}
