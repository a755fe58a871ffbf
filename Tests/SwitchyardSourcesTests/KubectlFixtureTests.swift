import SwitchyardModel
import SwitchyardSources
import Testing

/// What one `kubectl create … --dry-run=client -o yaml|json` output must load as.
struct KubectlCase: Sendable, CustomTestStringConvertible {
    var file: String
    var expected: ClusterObject
    var testDescription: String { file }
}

let kubectlCases: [KubectlCase] = {
    let nodePort = Service(
        namespace: "default", name: "shop", labels: ["app": "shop"], type: .nodePort,
        ports: [ServicePort(name: "80-8080", port: 80, targetPort: .number(8080), nodePort: 30080)])
    let loadBalancer = Service(
        namespace: "default", name: "gateway", labels: ["app": "gateway"], type: .loadBalancer,
        ports: [ServicePort(name: "443-8443", port: 443, targetPort: .number(8443))])
    return [
        KubectlCase(file: "kubectl-create-service-nodeport.yaml", expected: .service(nodePort)),
        KubectlCase(file: "kubectl-create-service-nodeport.json", expected: .service(nodePort)),
        KubectlCase(file: "kubectl-create-service-loadbalancer.yaml", expected: .service(loadBalancer)),
        KubectlCase(file: "kubectl-create-service-loadbalancer.json", expected: .service(loadBalancer)),
        KubectlCase(file: "kubectl-create-service-clusterip.yaml", expected: .service(Service(
            namespace: "default", name: "web", labels: ["app": "web"],
            ports: [ServicePort(name: "80-8080", port: 80, targetPort: .number(8080)),
                    ServicePort(name: "443-8443", port: 443, targetPort: .number(8443))]))),
        KubectlCase(file: "kubectl-create-service-headless.yaml", expected: .service(Service(
            namespace: "default", name: "db", labels: ["app": "db"], isHeadless: true,
            ports: [ServicePort(name: "5432-5432", port: 5432, targetPort: .number(5432))]))),
        KubectlCase(file: "kubectl-create-service-externalname.yaml", expected: .service(Service(
            namespace: "default", name: "search", labels: ["app": "search"], type: .externalName,
            externalName: "search.example.com"))),
        KubectlCase(file: "kubectl-create-namespace.yaml", expected: .namespace(Namespace(name: "shop"))),
    ]
}()

@Suite("Output of Debian's kubectl (kubernetes-client) loads")
struct KubectlFixtureTests {
    @Test("kubectl create … --dry-run=client", arguments: kubectlCases)
    func kubectlCreate(_ fixture: KubectlCase) throws {
        let objects = try ManifestLoader().load(paths: [try Fixture.path(fixture.file)])
        #expect(objects == [fixture.expected])
    }

    @Test("the fixture directory read whole: sorted order, so each .yaml twin of a .json is the duplicate")
    func wholeDirectory() throws {
        let directory = String(try Fixture.path("kubectl-create-namespace.yaml").dropLast("/kubectl-create-namespace.yaml".count))
        let error = try #require(throws: ManifestError.self) { try ManifestLoader().load(paths: [directory]) }
        #expect(error.problems.map { String($0.file.split(separator: "/").last ?? "") } == [
            "get-node.yaml", "get-pod.yaml",
            "get-services-all-fields.yaml", "get-services-all-fields.yaml", "get-services-all-fields.yaml",
            "kubectl-create-service-loadbalancer.yaml", "kubectl-create-service-nodeport.yaml",
        ])
        #expect(error.problems.allSatisfy { $0.message.hasPrefix("duplicate object: also defined in \(directory)/") })
        #expect(error.problems[2].field == "items[0]" && error.problems[2].object == "Service shop/everything")
    }
}
