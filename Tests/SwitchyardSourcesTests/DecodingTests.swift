import Foundation
import SwitchyardModel
@testable import SwitchyardSources
import Testing

@Suite("Decoding kubectl-style YAML and JSON into the model")
struct DecodingTests {
    @Test("a ClusterIP stored with leading zeros (before Kubernetes 1.22) is read as decimal, as kube-proxy reads it")
    func legacyLeadingZeros() throws {
        let objects = try ManifestLoader().load(text: """
            apiVersion: v1
            kind: Service
            metadata: {name: legacy, namespace: default}
            spec:
              clusterIP: 172.30.0.041
              clusterIPs: [172.30.0.041]
              ports: [{port: 80}]
            """, file: "legacy.yaml")
        #expect(try objects.service("legacy").clusterIPs == [ip("172.30.0.41")])
    }

    @Test("every Service field from YAML and from JSON", arguments: ["get-services-all-fields.yaml", "get-services-all-fields.json"])
    func serviceFields(file: String) throws {
        let objects = try ManifestLoader().load(paths: [try Fixture.path(file)])
        #expect(objects.count == 3)
        let s = try objects.service("everything")
        #expect(s.namespace == "shop")
        #expect(s.labels == ["app": "everything", WellKnownLabel.serviceProxyName: "other-proxy"])
        #expect(s.serviceProxyName == "other-proxy")
        #expect(s.type == .loadBalancer)
        #expect(s.clusterIPs == [ip("fd00:10:96::a"), ip("10.96.0.11")])
        #expect(!s.isHeadless)
        #expect(s.ipFamilies == [.ipv6, .ipv4])
        #expect(s.ports == [
            ServicePort(name: "http", protocol: .tcp, port: 80, targetPort: .name("http"), nodePort: 30100,
                        appProtocol: "kubernetes.io/h2c"),
            ServicePort(name: "dns", protocol: .udp, port: 53, targetPort: .number(5353), nodePort: 30101),
            ServicePort(name: "sig", protocol: .sctp, port: 3868, targetPort: .number(3868), nodePort: 30102),
        ])
        #expect(s.externalIPs == [ip("192.0.2.10"), ip("2001:db8::10")])
        #expect(s.loadBalancerSourceRanges == [cidr("203.0.113.0/24"), cidr("2001:db8:1::/48")])
        #expect(s.loadBalancerIngress == [
            LoadBalancerIngress(ip: ip("198.51.100.7"), ipMode: .proxy),
            LoadBalancerIngress(hostname: "lb.example.com"),
            LoadBalancerIngress(ip: ip("2001:db8::7"), ipMode: .vip),
        ])
        #expect(s.sessionAffinity == .clientIP(timeoutSeconds: 10800), "ClientIP without config takes the API default")
        #expect(s.externalTrafficPolicy == .local)
        #expect(s.internalTrafficPolicy == .local)
        #expect(s.healthCheckNodePort == 31999)
        #expect(s.publishNotReadyAddresses)
        #expect(s.trafficDistribution == .preferClose)
        #expect(s.externalName == nil)

        let mail = try objects.service("mail")
        #expect(mail.type == .externalName)
        #expect(mail.externalName == "mail.example.com.")
        #expect(mail.clusterIPs.isEmpty && mail.ports.isEmpty && !mail.isProxied)

        let minimal = try objects.service("minimal")
        #expect(minimal.type == .clusterIP)
        #expect(minimal.clusterIPs == [ip("10.96.0.12")])
        #expect(minimal.ipFamilies == [.ipv4], "derived from the ClusterIP when not given")
        #expect(minimal.ports == [ServicePort(name: "", protocol: .tcp, port: 8080, targetPort: .number(8080))],
                "protocol defaults to TCP and targetPort to port")
        #expect(minimal.sessionAffinity == .clientIP(timeoutSeconds: 60))
        #expect(minimal.externalTrafficPolicy == .cluster && minimal.internalTrafficPolicy == .cluster)
        #expect(minimal.healthCheckNodePort == 0 && !minimal.publishNotReadyAddresses)
        #expect(minimal.trafficDistribution == nil && minimal.labels.isEmpty)
    }

    @Test("YAML and JSON of the same objects decode to the same values", arguments: ["get-services-all-fields", "get-pod", "get-node"])
    func yamlEqualsJSON(name: String) throws {
        let loader = ManifestLoader()
        let fromYAML = try loader.load(paths: [try Fixture.path(name + ".yaml")])
        let fromJSON = try loader.load(paths: [try Fixture.path(name + ".json")])
        #expect(!fromYAML.isEmpty)
        #expect(fromYAML == fromJSON)
    }

    @Test("an API server EndpointSliceList in JSON: items inherit kind and apiVersion; every field")
    func endpointSliceFields() throws {
        let objects = try ManifestLoader().load(paths: [try Fixture.path("api-endpointslicelist.json")])
        #expect(objects.count == 2)
        let slice = try objects.slice("everything-v6")
        #expect(slice.namespace == "shop")
        #expect(slice.serviceKey == ObjectKey(namespace: "shop", name: "everything"))
        #expect(slice.labels[WellKnownLabel.headless] == "")
        #expect(slice.addressType == .ipv6)
        // 2026-11-24T16:20:05.250+01:00 = 15:20:05.25Z
        #expect(slice.lastChangeTriggerTime == 1_795_533_605.25)
        #expect(slice.ports == [
            EndpointPort(name: "http", protocol: .tcp, port: 8080, appProtocol: "kubernetes.io/h2c"),
            EndpointPort(name: "dns", protocol: .udp, port: 5353),
            EndpointPort(name: "sig", protocol: .sctp, port: 3868),
        ])
        #expect(slice.endpoints.count == 3)
        let first = slice.endpoints[0]
        #expect(first.addresses == [ip("fd00:10:244::5")])
        #expect(first.conditions == EndpointConditions(ready: true, serving: true, terminating: false))
        #expect(first.hostname == "everything-0")
        #expect(first.nodeName == "node-1")
        #expect(first.zone == "zone-a")
        #expect(first.hints == EndpointHints(forZones: ["zone-a", "zone-b"], forNodes: ["node-1"]))
        #expect(first.targetRef == ObjectReference(kind: "Pod", namespace: "shop", name: "everything-0"))
        let second = slice.endpoints[1]
        #expect(second.conditions == EndpointConditions(), "missing conditions stay nil")
        #expect(second.conditions.isReady && second.conditions.isServing && !second.conditions.isTerminating)
        #expect(second.hostname == nil && second.nodeName == nil && second.zone == nil && second.hints == nil && second.targetRef == nil)
        let third = slice.endpoints[2]
        #expect(!third.conditions.isReady && third.conditions.isServing && third.conditions.isTerminating)

        let allPorts = try objects.slice("everything-all-ports")
        #expect(allPorts.addressType == .ipv4)
        #expect(allPorts.ports == [EndpointPort(name: "", protocol: .tcp, port: nil)], "a port without number means all ports")
        #expect(allPorts.endpoints[0].conditions.ready == nil, "explicit null reads as missing")
        #expect(allPorts.lastChangeTriggerTime == nil)
    }

    @Test("Pod fields: podIP(s), hostname, subdomain, nodeName, phase")
    func podFields() throws {
        let objects = try ManifestLoader().load(paths: [try Fixture.path("get-pod.yaml")])
        #expect(objects.pods == [Pod(
            namespace: "shop", name: "everything-0", podIPs: [ip("10.244.0.5"), ip("fd00:10:244::5")],
            hostname: "everything-0", subdomain: "everything", nodeName: "node-1", phase: .pending)])
    }

    @Test("Node fields: labels, addresses, podCIDRs")
    func nodeFields() throws {
        let objects = try ManifestLoader().load(paths: [try Fixture.path("get-node.yaml")])
        let node = try #require(objects.nodes.first)
        #expect(node.name == "node-2")
        #expect(node.zone == "zone-b")
        #expect(node.labels.count == 5)
        #expect(node.addresses == [
            NodeAddress(type: .internalIP, address: "192.168.50.11"),
            NodeAddress(type: .internalIP, address: "fd00:192:168:50::11"),
            NodeAddress(type: .externalIP, address: "203.0.113.11"),
            NodeAddress(type: .hostname, address: "node-2"),
            NodeAddress(type: .internalDNS, address: "node-2.example.internal"),
        ])
        #expect(node.primaryIPs == [ip("192.168.50.11"), ip("fd00:192:168:50::11")])
        #expect(node.podCIDRs == [cidr("10.244.1.0/24"), cidr("fd00:10:244:1::/64")])
    }

    @Test("Namespace, headless Service, a single podCIDR and clusterIP without clusterIPs")
    func smallShapes() throws {
        let objects = try load("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {team: a}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: shop}
            spec:
              clusterIP: None
              ports: [{port: 5432}]
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: n1}
            spec: {podCIDR: 10.244.3.0/24}
            """)
        #expect(objects.namespaces == [Namespace(name: "shop", labels: ["team": "a"])])
        let db = try objects.service("db")
        #expect(db.isHeadless && db.clusterIPs.isEmpty && !db.isProxied)
        #expect(objects.nodes.first?.podCIDRs == [cidr("10.244.3.0/24")])
    }

    @Test("objects without metadata.namespace land in default")
    func defaultNamespace() throws {
        let objects = try load("""
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {clusterIP: 10.96.0.5, ports: [{port: 80}]}
            """)
        #expect(try objects.service("web").namespace == "default")
    }

    @Test("kinds that are not followed are skipped, also inside a List")
    func skippedKinds() throws {
        let paths = try ["kubectl-create-configmap.yaml", "kubectl-create-deployment.yaml"].map(Fixture.path)
        #expect(try ManifestLoader().load(paths: paths).isEmpty)
        let objects = try load("""
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: v1, kind: Secret, metadata: {name: s}}
            - {apiVersion: v1, kind: Namespace, metadata: {name: ns1}}
            """)
        #expect(objects.map(\.key.name) == ["ns1"])
    }

    @Test("quoted scalars stay strings; labels may look like booleans or numbers when quoted")
    func quotedScalars() throws {
        let objects = try load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: ns1
              labels: {enabled: "true", port: "9153", empty: ""}
            """)
        #expect(objects.namespaces.first?.labels == ["enabled": "true", "port": "9153", "empty": ""])
    }

    @Test("empty and comment-only documents are fine and keep document numbering")
    func emptyDocuments() throws {
        let found = problems("""
            # just a comment
            ---
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: BAD}
            ---
            """)
        #expect(found.map(\.document) == [2], "the text before the first --- is no document; the empty one after it is")
    }

    @Test("RFC 3339 trigger times", arguments: [
        ("1970-01-01T00:00:00Z", 0.0),
        ("2026-11-25T08:00:41Z", 1_795_593_641.0),
        ("2026-11-25T09:00:41+01:00", 1_795_593_641.0),
        ("2026-11-25T08:00:41.5Z", 1_795_593_641.5),
        ("2000-02-29T12:00:00-00:30", 951_827_400.0),
    ])
    func rfc3339(text: String, seconds: Double) {
        #expect(RFC3339.secondsSince1970(text) == seconds)
    }

    @Test("malformed trigger times read as absent", arguments: ["", "yesterday", "2026-11-25 08:00", "2026-13-25T08:00:41Z", "2026-11-25T08:00:41"])
    func rfc3339Malformed(text: String) {
        #expect(RFC3339.secondsSince1970(text) == nil)
    }

    @Test("plain scalars are typed as YAML 1.1; quoted ones stay strings", arguments: [
        ("port: 80", APIValue.int(80)),
        ("port: -7", .int(-7)),
        ("port: 0x1F", .int(31)),
        ("port: 0o17", .int(15)),
        ("port: 017", .int(15)),
        ("port: 1_000", .int(1000)),
        ("port: 2.5", .double(2.5)),
        ("port: 1e3", .double(1000)),
        ("port: true", .bool(true)),
        ("port: yes", .bool(true)),
        ("port: Off", .bool(false)),
        ("port: ~", .null),
        ("port: null", .null),
        ("port:", .null),
        ("port: \"80\"", .string("80")),
        ("port: '80'", .string("80")),
        ("port: !!str 80", .string("80")),
        ("port: 10.96.0.1", .string("10.96.0.1")),
        ("port: fd00::1", .string("fd00::1")),
        ("port: 2026-11-25T08:00:41Z", .string("2026-11-25T08:00:41Z")),
        ("port: 80-8080", .string("80-8080")),
        ("port: 1.2.3", .string("1.2.3")),
        ("port: -x", .string("-x")),
        ("port: .5", .double(0.5)),
        ("port: |\n  80\n", .string("80\n")),
    ])
    func plainScalars(yaml: String, expected: APIValue) {
        let parsed = YAMLDocuments.parse(yaml)
        #expect(parsed.error == nil)
        #expect(parsed.documents.first?.value["port"] == expected)
    }

    @Test("APIValue decodes from Foundation's JSONDecoder for the API source")
    func apiValueFromJSONDecoder() throws {
        let data = Data(#"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"ns1","labels":{"a":"b"}},"n":[1,2.5,true,null]}"#.utf8)
        let value = try JSONDecoder().decode(APIValue.self, from: data)
        #expect(value["n"] == .array([.int(1), .double(2.5), .bool(true), .null]))
        #expect(ObjectConverter().convert(value) == .object(.namespace(Namespace(name: "ns1", labels: ["a": "b"]))))
    }
}
