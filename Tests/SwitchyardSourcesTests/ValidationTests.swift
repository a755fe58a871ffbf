import Foundation
import SwitchyardModel
import SwitchyardSources
import Testing

/// One validation rule: a manifest breaking it and the one problem expected, with its location.
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var yaml: String
    /// `Service default/web`.
    var object: String
    var field: String
    /// A part of the message.
    var message: String

    var testDescription: String { rule }
}

private func service(_ spec: String, name: String = "web", namespace: String = "default", status: String = "") -> String {
    """
    apiVersion: v1
    kind: Service
    metadata: {name: \(name), namespace: \(namespace)}
    spec:
    \(spec.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    \(status)
    """
}

private func slice(_ body: String, name: String = "web-abc") -> String {
    """
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: \(name), namespace: default, labels: {kubernetes.io/service-name: web}}
    \(body)
    """
}

private func pod(name: String = "web-1", spec: String = "{}", status: String) -> String {
    """
    apiVersion: v1
    kind: Pod
    metadata: {name: \(name), namespace: default}
    spec: \(spec)
    status: \(status)
    """
}

private let web = "Service default/web"
private let http = "ports: [{name: http, port: 80, targetPort: 8080}]"

let ruleCases: [RuleCase] = [
    // Port ranges.
    RuleCase(rule: "port above 65535", yaml: service("clusterIP: 10.96.0.20\nports: [{port: 70000, targetPort: 8080}]"),
             object: web, field: "spec.ports[0].port", message: "70000 is out of range 1-65535"),
    RuleCase(rule: "port 0", yaml: service("clusterIP: 10.96.0.20\nports: [{port: 0, targetPort: 8080}]"),
             object: web, field: "spec.ports[0].port", message: "0 is out of range 1-65535"),
    RuleCase(rule: "targetPort number out of range", yaml: service("clusterIP: 10.96.0.20\nports: [{port: 80, targetPort: 65536}]"),
             object: web, field: "spec.ports[0].targetPort", message: "65536 is out of range 1-65535"),
    RuleCase(rule: "targetPort name not an IANA_SVC_NAME", yaml: service("clusterIP: 10.96.0.20\nports: [{port: 80, targetPort: Http_Port}]"),
             object: web, field: "spec.ports[0].targetPort", message: "is not a valid IANA_SVC_NAME"),
    RuleCase(rule: "targetPort name without a letter", yaml: service("clusterIP: 10.96.0.20\nports: [{port: 80, targetPort: \"8080\"}]"),
             object: web, field: "spec.ports[0].targetPort", message: "must contain at least one letter"),
    RuleCase(rule: "nodePort outside the node port range", yaml: service("type: NodePort\nclusterIP: 10.96.0.20\nports: [{port: 80, nodePort: 29999}]"),
             object: web, field: "spec.ports[0].nodePort", message: "29999 is out of the node port range 30000-32767"),
    RuleCase(rule: "nodePort on a ClusterIP Service", yaml: service("clusterIP: 10.96.0.20\nports: [{port: 80, nodePort: 30080}]"),
             object: web, field: "spec.ports[0].nodePort", message: "may only be set when type is NodePort or LoadBalancer"),
    RuleCase(rule: "duplicate nodePort", yaml: service("type: NodePort\nclusterIP: 10.96.0.20\nports: [{name: a, port: 80, nodePort: 30080}, {name: b, port: 81, nodePort: 30080}]"),
             object: web, field: "spec.ports[1].nodePort", message: "duplicate node port 30080/TCP"),
    RuleCase(rule: "healthCheckNodePort without LoadBalancer and Local", yaml: service("type: NodePort\nclusterIP: 10.96.0.20\nhealthCheckNodePort: 32000\n\(http)"),
             object: web, field: "spec.healthCheckNodePort", message: "may only be set when type is LoadBalancer and externalTrafficPolicy is Local"),
    // Protocol names.
    RuleCase(rule: "lowercase protocol", yaml: service("clusterIP: 10.96.0.20\nports: [{port: 80, protocol: tcp}]"),
             object: web, field: "spec.ports[0].protocol", message: "unsupported value \"tcp\": supported values: \"TCP\", \"UDP\", \"SCTP\""),
    RuleCase(rule: "EndpointSlice port protocol", yaml: slice("addressType: IPv4\nports: [{port: 80, protocol: HTTP}]"),
             object: "EndpointSlice default/web-abc", field: "ports[0].protocol", message: "unsupported value \"HTTP\""),
    // IP syntax.
    RuleCase(rule: "clusterIP not an IP", yaml: service("clusterIP: 10.96.0\n\(http)"),
             object: web, field: "spec.clusterIP", message: "\"10.96.0\" is not a valid IP address"),
    RuleCase(rule: "clusterIPs entry not an IP", yaml: service("clusterIP: 10.96.0.20\nclusterIPs: [10.96.0.20, \"fd00::zz\"]\n\(http)"),
             object: web, field: "spec.clusterIPs[1]", message: "\"fd00::zz\" is not a valid IP address"),
    RuleCase(rule: "clusterIPs[0] differs from clusterIP", yaml: service("clusterIP: 10.96.0.20\nclusterIPs: [10.96.0.21]\n\(http)"),
             object: web, field: "spec.clusterIPs[0]", message: "must match spec.clusterIP"),
    RuleCase(rule: "externalIPs entry not an IP", yaml: service("clusterIP: 10.96.0.20\nexternalIPs: [192.0.2.1, 192.0.2.256]\n\(http)"),
             object: web, field: "spec.externalIPs[1]", message: "\"192.0.2.256\" is not a valid IP address"),
    RuleCase(rule: "load balancer ingress ip not an IP", yaml: service("type: LoadBalancer\nclusterIP: 10.96.0.20\n\(http)", status: "status: {loadBalancer: {ingress: [{ip: lb.example.com}]}}"),
             object: web, field: "status.loadBalancer.ingress[0].ip", message: "\"lb.example.com\" is not a valid IP address"),
    RuleCase(rule: "endpoint address not an IP", yaml: slice("addressType: IPv4\nendpoints: [{addresses: [10.244.0.x]}]"),
             object: "EndpointSlice default/web-abc", field: "endpoints[0].addresses[0]", message: "\"10.244.0.x\" is not a valid IP address"),
    RuleCase(rule: "pod IP not an IP", yaml: pod(status: "{podIP: 10.244.0.256}"),
             object: "Pod default/web-1", field: "status.podIP", message: "\"10.244.0.256\" is not a valid IP address"),
    RuleCase(rule: "podIPs entry not an IP", yaml: pod(status: "{podIP: 10.244.0.5, podIPs: [{ip: 10.244.0.5}, {ip: \"fd00:::5\"}]}"),
             object: "Pod default/web-1", field: "status.podIPs[1].ip", message: "\"fd00:::5\" is not a valid IP address"),
    RuleCase(rule: "node InternalIP not an IP", yaml: "apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nstatus: {addresses: [{type: InternalIP, address: node-1}]}",
             object: "Node node-1", field: "status.addresses[0].address", message: "\"node-1\" is not a valid IP address"),
    // CIDR syntax.
    RuleCase(rule: "source range prefix too long", yaml: service("type: LoadBalancer\nclusterIP: 10.96.0.20\nloadBalancerSourceRanges: [10.0.0.0/33]\n\(http)"),
             object: web, field: "spec.loadBalancerSourceRanges[0]", message: "\"10.0.0.0/33\" is not a valid CIDR"),
    RuleCase(rule: "source range without prefix length", yaml: service("type: LoadBalancer\nclusterIP: 10.96.0.20\nloadBalancerSourceRanges: [203.0.113.7]\n\(http)"),
             object: web, field: "spec.loadBalancerSourceRanges[0]", message: "is not a valid CIDR"),
    RuleCase(rule: "source ranges on a ClusterIP Service", yaml: service("clusterIP: 10.96.0.20\nloadBalancerSourceRanges: [10.0.0.0/8]\n\(http)"),
             object: web, field: "spec.loadBalancerSourceRanges", message: "may only be set when type is LoadBalancer"),
    RuleCase(rule: "node podCIDR not a CIDR", yaml: "apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nspec: {podCIDRs: [10.244.0.0]}",
             object: "Node node-1", field: "spec.podCIDRs[0]", message: "is not a valid CIDR"),
    // Families.
    RuleCase(rule: "clusterIP family differs from ipFamilies", yaml: service("clusterIP: 10.96.0.20\nipFamilies: [IPv6]\n\(http)"),
             object: web, field: "spec.clusterIPs[0]", message: "10.96.0.20 is IPv4 but spec.ipFamilies[0] is IPv6"),
    RuleCase(rule: "dual-stack clusterIPs of one family", yaml: service("clusterIP: 10.96.0.20\nclusterIPs: [10.96.0.20, 10.96.0.21]\n\(http)"),
             object: web, field: "spec.clusterIPs[1]", message: "must be of the other family"),
    RuleCase(rule: "duplicate ipFamilies", yaml: service("clusterIP: 10.96.0.20\nipFamilies: [IPv4, IPv4]\n\(http)"),
             object: web, field: "spec.ipFamilies[1]", message: "duplicate family IPv4"),
    RuleCase(rule: "EndpointSlice address of the other family", yaml: slice("addressType: IPv6\nendpoints: [{addresses: [10.244.0.5]}]"),
             object: "EndpointSlice default/web-abc", field: "endpoints[0].addresses[0]", message: "10.244.0.5 is IPv4 but addressType is IPv6"),
    RuleCase(rule: "EndpointSlice without addressType", yaml: slice("endpoints: [{addresses: [10.244.0.5]}]"),
             object: "EndpointSlice default/web-abc", field: "addressType", message: "is required"),
    RuleCase(rule: "endpoint without addresses", yaml: slice("addressType: IPv4\nendpoints: [{addresses: []}]"),
             object: "EndpointSlice default/web-abc", field: "endpoints[0].addresses", message: "must have at least one address"),
    // Ports: names and duplicates.
    RuleCase(rule: "duplicate port names", yaml: service("clusterIP: 10.96.0.20\nports: [{name: http, port: 80}, {name: http, port: 81}]"),
             object: web, field: "spec.ports[1].name", message: "duplicate port name \"http\" (also spec.ports[0])"),
    RuleCase(rule: "port names required with several ports", yaml: service("clusterIP: 10.96.0.20\nports: [{name: http, port: 80}, {port: 443}]"),
             object: web, field: "spec.ports[1].name", message: "is required when the Service has more than one port"),
    RuleCase(rule: "duplicate port and protocol", yaml: service("clusterIP: 10.96.0.20\nports: [{name: a, port: 80}, {name: b, port: 80}]"),
             object: web, field: "spec.ports[1]", message: "duplicate port 80/TCP"),
    RuleCase(rule: "port name not a DNS-1123 label", yaml: service("clusterIP: 10.96.0.20\nports: [{name: HTTP, port: 80}]"),
             object: web, field: "spec.ports[0].name", message: "\"HTTP\" is not a valid DNS-1123 label"),
    RuleCase(rule: "no ports on a ClusterIP Service", yaml: service("clusterIP: 10.96.0.20"),
             object: web, field: "spec.ports", message: "is required"),
    RuleCase(rule: "EndpointSlice duplicate port names", yaml: slice("addressType: IPv4\nports: [{name: http, port: 80}, {name: http, port: 81}]"),
             object: "EndpointSlice default/web-abc", field: "ports[1].name", message: "duplicate port name \"http\""),
    RuleCase(rule: "EndpointSlice port out of range", yaml: slice("addressType: IPv4\nports: [{name: http, port: 65536}]"),
             object: "EndpointSlice default/web-abc", field: "ports[0].port", message: "65536 is out of range 1-65535"),
    // DNS names.
    RuleCase(rule: "Service name not a DNS-1035 label", yaml: service("clusterIP: 10.96.0.20\n\(http)", name: "1web"),
             object: "Service default/1web", field: "metadata.name", message: "is not a valid DNS-1035 label"),
    RuleCase(rule: "namespace not a DNS-1123 label", yaml: service("clusterIP: 10.96.0.20\n\(http)", namespace: "Shop"),
             object: "Service Shop/web", field: "metadata.namespace", message: "\"Shop\" is not a valid DNS-1123 label"),
    RuleCase(rule: "Namespace name too long", yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: \(String(repeating: "a", count: 64))}",
             object: "Namespace \(String(repeating: "a", count: 64))", field: "metadata.name", message: "must be no more than 63 characters"),
    RuleCase(rule: "Pod name not a DNS-1123 subdomain", yaml: pod(name: "web_1", status: "{}"),
             object: "Pod default/web_1", field: "metadata.name", message: "is not a valid DNS-1123 subdomain"),
    RuleCase(rule: "Pod hostname not a DNS-1123 label", yaml: pod(spec: "{hostname: db.0}", status: "{}"),
             object: "Pod default/web-1", field: "spec.hostname", message: "is not a valid DNS-1123 label"),
    RuleCase(rule: "Pod subdomain not a DNS-1123 label", yaml: pod(spec: "{subdomain: -db}", status: "{}"),
             object: "Pod default/web-1", field: "spec.subdomain", message: "is not a valid DNS-1123 label"),
    RuleCase(rule: "Node name not a DNS-1123 subdomain", yaml: "apiVersion: v1\nkind: Node\nmetadata: {name: Node_1}",
             object: "Node Node_1", field: "metadata.name", message: "is not a valid DNS-1123 subdomain"),
    RuleCase(rule: "EndpointSlice name not a DNS-1123 subdomain", yaml: slice("addressType: IPv4", name: "web..abc"),
             object: "EndpointSlice default/web..abc", field: "metadata.name", message: "is not a valid DNS-1123 subdomain"),
    RuleCase(rule: "endpoint hostname not a DNS-1123 label", yaml: slice("addressType: IPv4\nendpoints: [{addresses: [10.244.0.5], hostname: Db-0}]"),
             object: "EndpointSlice default/web-abc", field: "endpoints[0].hostname", message: "is not a valid DNS-1123 label"),
    RuleCase(rule: "ExternalName not a DNS name", yaml: service("type: ExternalName\nexternalName: search..example.com"),
             object: web, field: "spec.externalName", message: "is not a valid DNS-1123 subdomain"),
    RuleCase(rule: "ExternalName missing", yaml: service("type: ExternalName"),
             object: web, field: "spec.externalName", message: "is required when type is ExternalName"),
    RuleCase(rule: "ExternalName with a cluster IP", yaml: service("type: ExternalName\nexternalName: search.example.com\nclusterIP: 10.96.0.20"),
             object: web, field: "spec.clusterIP", message: "must not be set when type is ExternalName"),
    // Enum values.
    RuleCase(rule: "Service type", yaml: service("type: Internal\nclusterIP: 10.96.0.20\n\(http)"),
             object: web, field: "spec.type", message: "unsupported value \"Internal\": supported values: \"ClusterIP\", \"NodePort\", \"LoadBalancer\", \"ExternalName\""),
    RuleCase(rule: "externalTrafficPolicy", yaml: service("type: NodePort\nclusterIP: 10.96.0.20\nexternalTrafficPolicy: Global\n\(http)"),
             object: web, field: "spec.externalTrafficPolicy", message: "unsupported value \"Global\""),
    RuleCase(rule: "externalTrafficPolicy Local on a ClusterIP Service", yaml: service("clusterIP: 10.96.0.20\nexternalTrafficPolicy: Local\n\(http)"),
             object: web, field: "spec.externalTrafficPolicy", message: "\"Local\" may only be set when type is NodePort or LoadBalancer"),
    RuleCase(rule: "internalTrafficPolicy", yaml: service("clusterIP: 10.96.0.20\ninternalTrafficPolicy: local\n\(http)"),
             object: web, field: "spec.internalTrafficPolicy", message: "unsupported value \"local\""),
    RuleCase(rule: "sessionAffinity", yaml: service("clusterIP: 10.96.0.20\nsessionAffinity: Sticky\n\(http)"),
             object: web, field: "spec.sessionAffinity", message: "unsupported value \"Sticky\": supported values: \"None\", \"ClientIP\""),
    RuleCase(rule: "trafficDistribution", yaml: service("clusterIP: 10.96.0.20\ntrafficDistribution: Nearby\n\(http)"),
             object: web, field: "spec.trafficDistribution", message: "unsupported value \"Nearby\""),
    RuleCase(rule: "ipFamilies entry", yaml: service("clusterIP: 10.96.0.20\nipFamilies: [IPv5]\n\(http)"),
             object: web, field: "spec.ipFamilies[0]", message: "unsupported value \"IPv5\""),
    RuleCase(rule: "ingress ipMode", yaml: service("type: LoadBalancer\nclusterIP: 10.96.0.20\n\(http)", status: "status: {loadBalancer: {ingress: [{ip: 192.0.2.1, ipMode: Direct}]}}"),
             object: web, field: "status.loadBalancer.ingress[0].ipMode", message: "unsupported value \"Direct\": supported values: \"VIP\", \"Proxy\""),
    RuleCase(rule: "ingress ipMode without ip", yaml: service("type: LoadBalancer\nclusterIP: 10.96.0.20\n\(http)", status: "status: {loadBalancer: {ingress: [{hostname: lb.example.com, ipMode: VIP}]}}"),
             object: web, field: "status.loadBalancer.ingress[0].ipMode", message: "may only be set when ip is set"),
    RuleCase(rule: "Pod phase", yaml: pod(status: "{phase: Sleeping}"),
             object: "Pod default/web-1", field: "status.phase", message: "unsupported value \"Sleeping\""),
    RuleCase(rule: "EndpointSlice addressType", yaml: slice("addressType: IPv5"),
             object: "EndpointSlice default/web-abc", field: "addressType", message: "unsupported value \"IPv5\": supported values: \"IPv4\", \"IPv6\", \"FQDN\""),
    RuleCase(rule: "Node address type", yaml: "apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nstatus: {addresses: [{type: PublicIP, address: 192.0.2.1}]}",
             object: "Node node-1", field: "status.addresses[0].type", message: "unsupported value \"PublicIP\""),
    RuleCase(rule: "headless with type NodePort", yaml: service("type: NodePort\nclusterIP: None\n\(http)"),
             object: web, field: "spec.clusterIP", message: "\"None\" (headless) requires type ClusterIP"),
    // Session affinity timeout.
    RuleCase(rule: "timeoutSeconds above a day", yaml: service("clusterIP: 10.96.0.20\nsessionAffinity: ClientIP\nsessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}\n\(http)"),
             object: web, field: "spec.sessionAffinityConfig.clientIP.timeoutSeconds", message: "86401 is out of range 1-86400"),
    RuleCase(rule: "timeoutSeconds zero", yaml: service("clusterIP: 10.96.0.20\nsessionAffinity: ClientIP\nsessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}\n\(http)"),
             object: web, field: "spec.sessionAffinityConfig.clientIP.timeoutSeconds", message: "0 is out of range 1-86400"),
    // Metadata and types.
    RuleCase(rule: "missing metadata.name", yaml: "apiVersion: v1\nkind: Service\nmetadata: {namespace: default}\nspec: {clusterIP: 10.96.0.20, ports: [{port: 80}]}",
             object: "Service default/<unnamed>", field: "metadata.name", message: "is required"),
    RuleCase(rule: "port given as a string", yaml: service("clusterIP: 10.96.0.20\nports: [{port: \"80\"}]"),
             object: web, field: "spec.ports[0].port", message: "must be an integer, not a string (\"80\")"),
    RuleCase(rule: "condition given as a string", yaml: slice("addressType: IPv4\nendpoints: [{addresses: [10.244.0.5], conditions: {ready: \"yes\"}}]"),
             object: "EndpointSlice default/web-abc", field: "endpoints[0].conditions.ready", message: "must be a boolean, not a string (\"yes\")"),
    RuleCase(rule: "label value not a string", yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1, labels: {enabled: true}}",
             object: "Namespace ns1", field: "metadata.labels[\"enabled\"]", message: "must be a string, not a boolean (true)"),
    RuleCase(rule: "apiVersion of another group", yaml: "apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\nmetadata: {name: web-abc}\naddressType: IPv4",
             object: "EndpointSlice default/web-abc", field: "apiVersion", message: "EndpointSlice is read as apiVersion discovery.k8s.io/v1, not discovery.k8s.io/v1beta1"),
]

@Suite("Validation: every rule names file, document, object and field")
struct ValidationTests {
    @Test("one rule", arguments: ruleCases)
    func rule(_ rule: RuleCase) {
        let found = problems(rule.yaml)
        let prefix = "test.yaml: document 1 (\(rule.object)): \(rule.field): "
        #expect(found.count == 1, "expected exactly one problem, got:\n\(found.map(\.description).joined(separator: "\n"))")
        let problem = found.first
        #expect(problem?.file == "test.yaml")
        #expect(problem?.document == 1)
        #expect(problem?.object == rule.object)
        #expect(problem?.field == rule.field)
        #expect(problem?.description.hasPrefix(prefix) == true, "\(problem?.description ?? "no problem")")
        #expect(problem?.message.contains(rule.message) == true, "\(problem?.message ?? "no problem")")
    }

    @Test("the valid counterparts of the rules load", arguments: [
        service("clusterIP: 10.96.0.20\nports: [{port: 65535, targetPort: 1}]"),
        service("clusterIP: 10.96.0.20\nports: [{port: 80, targetPort: http-alt}]"),
        service("type: NodePort\nclusterIP: 10.96.0.20\nports: [{port: 80, nodePort: 32767}]"),
        service("type: LoadBalancer\nclusterIP: 10.96.0.20\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 32000\nloadBalancerSourceRanges: [\" 10.0.0.0/8 \"]\n\(http)"),
        service("clusterIP: 10.96.0.20\nexternalIPs: [192.0.2.1]\nexternalTrafficPolicy: Local\n\(http)"),
        service("clusterIP: 10.96.0.20\nports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]"),
        service("type: ExternalName\nexternalName: search.example.com."),
        service("clusterIP: None"),
        service("clusterIP: 10.96.0.20\nsessionAffinity: ClientIP\nsessionAffinityConfig: {clientIP: {timeoutSeconds: 86400}}\n\(http)"),
        slice("addressType: FQDN\nendpoints: [{addresses: [db.example.com]}]"),
    ])
    func validCounterparts(yaml: String) {
        #expect(problems(yaml).isEmpty, "\(problems(yaml).map(\.description))")
    }

    @Test("the node port range is configurable")
    func nodePortRange() {
        let yaml = service("type: NodePort\nclusterIP: 10.96.0.20\nports: [{port: 80, nodePort: 40000}]")
        #expect(problems(yaml, nodePortRange: 30000...40000).isEmpty)
        #expect(problems(yaml, nodePortRange: 20000...32767).map(\.message) == ["40000 is out of the node port range 20000-32767"])
    }

    @Test("a YAML syntax error names the line and column", arguments: [
        ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n   bad: indent\n", 5),
        ("apiVersion: v1\nkind: Service\nmetadata: {name: web\n", 4),
        ("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\",\n \"metadata\": {\"name\": \"a\"]}\n", 2),
    ])
    func syntaxError(text: String, line: Int) {
        let found = problems(text)
        #expect(found.count == 1)
        #expect(found.first?.line == line)
        #expect(found.first?.description.hasPrefix("test.yaml: line \(line), column ") == true, "\(found.first?.description ?? "")")
        #expect(found.first?.message.hasPrefix("YAML syntax error: ") == true)
    }

    @Test("documents before a syntax error are still checked")
    func syntaxErrorAfterDocuments() {
        let found = problems("apiVersion: v1\nkind: Namespace\nmetadata: {name: A}\n---\nkey: [unclosed\n")
        #expect(found.map(\.document) == [1, nil])
    }

    @Test("problems inside a List carry the item's path")
    func listItemPath() {
        let found = problems("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: ok}
            - \(service("clusterIP: 10.96.0.20\nports: [{port: 70000}]").split(separator: "\n").joined(separator: "\n  "))
            """)
        #expect(found.map(\.description) == [
            "test.yaml: document 1 (Service default/web): items[1].spec.ports[0].port: 70000 is out of range 1-65535",
        ])
    }

    @Test("a document that is not a mapping, or has no kind")
    func notAnObject() {
        #expect(problems("just text").map(\.description) == ["test.yaml: document 1: must be a mapping, not a string"])
        #expect(problems("apiVersion: v1\nmetadata: {name: x}").map(\.description) == ["test.yaml: document 1: kind: is required"])
    }

    @Test("the same object twice is a problem naming both places")
    func duplicateObject() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
        try text.write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try ("---\n" + text).write(toFile: dir + "/b.yml", atomically: true, encoding: .utf8)
        #expect(throws: ManifestError(problems: [ManifestProblem(
            file: dir + "/b.yml", document: 1, object: "Namespace shop", field: nil,
            message: "duplicate object: also defined in \(dir)/a.yaml document 1")])) {
            try ManifestLoader().load(paths: [dir])
        }
    }

    @Test("a missing path is a problem")
    func missingPath() {
        #expect(throws: ManifestError(problems: [ManifestProblem(file: "/nonexistent/x.yaml", message: "no such file or directory")])) {
            try ManifestLoader().load(paths: ["/nonexistent/x.yaml"])
        }
    }

    @Test("examples/bad.yaml: every problem is reported, each with its location")
    func badExample() throws {
        let path = Fixture.example("bad.yaml")
        let error = try #require(throws: ManifestError.self) { try ManifestLoader().load(paths: [path]) }
        #expect(error.problems.count == 18)
        #expect(error.description.split(separator: "\n").count == 18)
        #expect(error.description.contains(
            "\(path): document 3 (Service default/web): spec.ports[0].port: 70000 is out of range 1-65535"))
        #expect(Set(error.problems.compactMap(\.document)) == [1, 3, 4, 5, 6, 7], "the ConfigMap (document 2) is skipped")
        #expect(error.problems.allSatisfy { $0.file == path && $0.field != nil })
    }
}

@Suite("Finding manifest files")
struct ManifestFilesTests {
    @Test("directories recursively, sorted; other extensions, hidden entries and symlink cycles are skipped")
    func walk() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manager = FileManager.default
        for sub in ["/b", "/a", "/.hidden", "/..2026_11_25"] {
            try manager.createDirectory(atPath: dir + sub, withIntermediateDirectories: true)
        }
        let files = ["/b/one.yaml": "ns-b1", "/a/two.YML": "ns-a2", "/a/one.json": "ns-a1", "/z.yaml": "ns-z",
                     "/.hidden/x.yaml": "hidden", "/..2026_11_25/y.yaml": "mounted", "/a/readme.md": "readme"]
        for (path, name) in files {
            let text = path.hasSuffix(".json")
                ? #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "\#(name)"}}"#
                : "apiVersion: v1\nkind: Namespace\nmetadata: {name: \(name)}\n"
            try text.write(toFile: dir + path, atomically: true, encoding: .utf8)
        }
        try manager.createSymbolicLink(atPath: dir + "/a/loop", withDestinationPath: dir)
        let objects = try ManifestLoader().load(paths: [dir])
        #expect(objects.map(\.key.name) == ["ns-a1", "ns-a2", "ns-b1", "ns-z"])
    }
}
