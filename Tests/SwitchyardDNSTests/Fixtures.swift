import SwitchyardDNS
import SwitchyardModel

/// A small cluster covering every record rule, built in code.
enum Fixture {
    static func ip(_ text: String) -> IPAddress {
        guard let ip = IPAddress(text) else { fatalError("bad IP \(text) in fixture") }
        return ip
    }

    static func slice(
        _ ns: String, _ name: String, service: String, _ type: EndpointAddressType = .ipv4,
        endpoints: [Endpoint], ports: [EndpointPort]
    ) -> ClusterObject {
        .endpointSlice(EndpointSlice(
            namespace: ns, name: name, labels: [WellKnownLabel.serviceName: service], addressType: type,
            endpoints: endpoints, ports: ports))
    }

    static func endpoint(
        _ address: String, ready: Bool? = nil, hostname: String? = nil, pod: String? = nil, ns: String = "default"
    ) -> Endpoint {
        Endpoint(
            addresses: [ip(address)], conditions: EndpointConditions(ready: ready), hostname: hostname,
            targetRef: pod.map { ObjectReference(kind: "Pod", namespace: ns, name: $0) })
    }

    static var objects: [ClusterObject] {
        [
            .namespace(Namespace(name: "default")),
            .namespace(Namespace(name: "kube-system")),
            .namespace(Namespace(name: "testns")),
            .service(Service(
                namespace: "default", name: "web", clusterIPs: [ip("10.96.0.20")],
                ports: [ServicePort(name: "http", port: 80), ServicePort(name: "https", port: 443)])),
            slice("default", "web-abc", service: "web",
                  endpoints: [endpoint("10.244.1.5", pod: "web-1"), endpoint("10.244.2.6", ready: false, pod: "web-2")],
                  ports: [EndpointPort(name: "http", port: 8080), EndpointPort(name: "https", port: 8443)]),
            .service(Service(
                namespace: "kube-system", name: "kube-dns", clusterIPs: [ip("10.96.0.10")],
                ports: [
                    ServicePort(name: "dns", protocol: .udp, port: 53), ServicePort(name: "dns-tcp", protocol: .tcp, port: 53),
                    ServicePort(name: "metrics", port: 9153),
                ])),
            .service(Service(
                namespace: "default", name: "db", isHeadless: true, ports: [ServicePort(name: "mysql", port: 3306)])),
            slice("default", "db-1", service: "db",
                  endpoints: [
                      endpoint("10.244.1.10", hostname: "db-0", pod: "db-0"),
                      endpoint("10.244.2.11", hostname: "db-1", pod: "db-1"),
                      endpoint("10.244.3.12", ready: false, hostname: "db-2", pod: "db-2"),
                  ],
                  ports: [EndpointPort(name: "mysql", port: 3306)]),
            .service(Service(
                namespace: "default", name: "dual", clusterIPs: [ip("10.96.0.30"), ip("fd00::30")],
                ports: [ServicePort(name: "http", port: 80)])),
            .service(Service(namespace: "default", name: "ext", type: .externalName, externalName: "example.com")),
            .service(Service(
                namespace: "default", name: "alias", type: .externalName, externalName: "web.default.svc.cluster.local")),
            .service(Service(namespace: "default", name: "ipext", type: .externalName, externalName: "1.2.3.4")),
            .service(Service(namespace: "default", name: "empty", clusterIPs: [ip("10.96.0.40")],
                             ports: [ServicePort(port: 80)])),
            .service(Service(namespace: "default", name: "nothing", isHeadless: true)),
            .service(Service(namespace: "default", name: "nr", isHeadless: true, publishNotReadyAddresses: true)),
            slice("default", "nr-1", service: "nr",
                  endpoints: [endpoint("10.244.4.1", ready: false)], ports: [EndpointPort(name: "p", port: 1000)]),
            .service(Service(namespace: "default", name: "noports", isHeadless: true)),
            slice("default", "noports-1", service: "noports", endpoints: [endpoint("10.244.5.1")], ports: []),
            .service(Service(namespace: "default", name: "h6", isHeadless: true)),
            slice("default", "h6-1", service: "h6", .ipv6,
                  endpoints: [endpoint("fd00::1:5"), endpoint("fd00::1:6", hostname: "named")],
                  ports: [EndpointPort(name: "http", port: 80)]),
            .service(Service(namespace: "testns", name: "svc1", clusterIPs: [ip("10.96.1.1")],
                             ports: [ServicePort(name: "http", port: 80)])),
            .pod(Pod(namespace: "default", name: "web-1", podIPs: [ip("10.244.1.5")])),
        ]
    }

    static func snapshot(_ extra: [ClusterObject] = []) -> ClusterSnapshot {
        var store = ClusterStore()
        store.apply((objects + extra).map(ClusterEvent.added))
        return store.snapshot
    }

    static func zone(_ options: DNSZoneOptions = DNSZoneOptions(serial: 1)) -> DNSZone {
        DNSZone(snapshot: snapshot(), options: options)
    }
}

/// One exchange through the same path the server takes (parse → resolve → reply), decoded again.
struct Exchange {
    var rcode: ResponseCode
    var flags: HeaderFlags
    var questions: [Question]
    var answers: [String]
    var authority: [String]
    var additional: [String]
    var edns: EDNS?
    var size: Int
}

func ask(
    _ zone: DNSZone, _ name: String, _ type: RecordType, edns: EDNS? = nil, maxSize: Int? = nil, id: UInt16 = 4242
) throws -> Exchange {
    guard let qname = DNSName(name) else { throw TestFailure("bad name \(name)") }
    let query = DNSMessage.query(id: id, name: qname, type: type, edns: edns).encoded()
    let bytes: [UInt8]
    switch Request.parse(query) {
    case .request(let request):
        let resolution = Resolver.resolve(request.question, in: zone)
        bytes = Responder.reply(to: request, resolution: resolution, zone: zone, maxSize: maxSize ?? request.udpLimit)
    case .reply(let reply):
        bytes = reply
    case .drop:
        throw TestFailure("query dropped")
    }
    let message = try DNSMessage(decoding: bytes)
    guard message.id == id else { throw TestFailure("id not echoed") }
    return Exchange(
        rcode: message.rcode, flags: message.flags, questions: message.questions,
        answers: message.answers.map(\.description), authority: message.authority.map(\.description),
        additional: message.additional.map(\.description), edns: message.edns, size: bytes.count)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
