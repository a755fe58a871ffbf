import Logging
import NIOCore
import NIOPosix
import SwitchyardModel

/// What the DNS fuzz target (Fuzz/, `make fuzz`) checks for one datagram, and the suite's smoke test
/// over the committed corpus: decoding never traps, and a reply the server sends — over UDP and over
/// TCP — always decodes as a DNS message of the size allowed. A broken property stops the process
/// (libFuzzer keeps the input).
public enum DNSFuzzing {
    /// A small zone with every kind of name: ClusterIP (two ports), headless with hostnames,
    /// ExternalName, a pod IP.
    static let engine: QueryEngine = {
        var store = ClusterStore()
        let ip = { (text: String) in IPAddress(text) ?? .v4(IPv4Address(0)) }
        store.apply([
            .added(.namespace(Namespace(name: "default"))),
            .added(.service(Service(namespace: "default", name: "web", clusterIPs: [ip("10.96.0.10")],
                                    ports: [ServicePort(name: "http", port: 80), ServicePort(name: "dns", protocol: .udp, port: 53)]))),
            .added(.service(Service(namespace: "default", name: "db", isHeadless: true))),
            .added(.endpointSlice(EndpointSlice(
                namespace: "default", name: "db-1", labels: [WellKnownLabel.serviceName: "db"],
                endpoints: (1...40).map { Endpoint(addresses: [ip("10.244.0.\($0)")], conditions: EndpointConditions(ready: true), hostname: "db-\($0)") },
                ports: [EndpointPort(name: "pg", port: 5432)]))),
            .added(.service(Service(namespace: "default", name: "ext", type: .externalName, externalName: "example.com"))),
            .added(.pod(Pod(namespace: "default", name: "p", podIPs: [ip("10.244.1.5")], nodeName: "n", phase: .running))),
        ])
        return QueryEngine(zones: ZoneHolder(DNSZone(snapshot: store.snapshot, options: DNSZoneOptions(serial: 1))),
                           forwarder: nil, logger: Logger(label: "fuzz"))
    }()

    /// Checks one input.
    public static func check(_ bytes: UnsafeRawBufferPointer) {
        _ = try? DNSMessage(decoding: bytes)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        for maxSize in [nil, DNSLimits.maxMessageSize] {
            guard case .reply(let reply) = engine.answer(bytes, maxSize: maxSize, client: nil, eventLoop: loop) else { continue }
            precondition(reply.count <= (maxSize ?? engine.maxUDPReplySize), "a reply of \(reply.count) bytes over the limit")
            guard reply.count > 12 else { continue }  // a bare header (FORMERR for a runt) is the only short form
            precondition((try? DNSMessage(decoding: reply)) != nil, "a reply that does not decode")
        }
    }
}
