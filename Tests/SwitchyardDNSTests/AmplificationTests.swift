import Logging
import NIOCore
import NIOPosix
@testable import SwitchyardDNS
import SwitchyardModel
import Testing

@Suite("Not an amplifier: forwarding only for allowed clients asking for recursion, UDP replies capped (issue 15, item 4)")
struct AmplificationTests {
    /// A headless Service with 300 endpoints: its A answer is ~5 KB.
    static func hugeZone() -> DNSZone {
        var store = ClusterStore()
        store.apply((Fixture.objects + [
            .service(Service(namespace: "default", name: "huge", isHeadless: true)),
            Fixture.slice("default", "huge-1", service: "huge",
                          endpoints: (1...300).map { Fixture.endpoint("10.251.\($0 / 250).\($0 % 250 + 1)") }, ports: []),
        ]).map(ClusterEvent.added))
        return DNSZone(snapshot: store.snapshot, options: DNSZoneOptions(serial: 1))
    }

    static let engine = QueryEngine(
        zones: ZoneHolder(hugeZone()),
        forwarder: Forwarder(servers: [try! SocketAddress(ipAddress: "127.0.0.1", port: 9)], group: MultiThreadedEventLoopGroup.singleton),
        logger: Logger(label: "test"), forwardingClients: [CIDR("10.244.0.0/16")!])

    static func ask(_ name: String, _ type: RecordType = .a, recursion: Bool = true, from client: String, bufferSize: UInt16? = nil) -> QueryOutcome {
        let query = DNSMessage.query(id: 1, name: DNSName(name)!, type: type, recursionDesired: recursion,
                                     edns: bufferSize.map { EDNS(udpPayloadSize: $0, dnssecOK: false) }).encoded()
        let address = IPAddress(client)!
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return query.withUnsafeBytes { engine.answer($0, maxSize: nil, client: address, eventLoop: loop) }
    }

    static func rcode(_ outcome: QueryOutcome) -> UInt8? {
        guard case .reply(let bytes) = outcome, bytes.count > 3 else { return nil }
        return bytes[3] & 0x0f
    }

    @Test("an out-of-zone name is forwarded for loopback and the allowed CIDRs, REFUSED for anyone else")
    func forwardingClients() {
        for client in ["127.0.0.1", "10.244.3.7"] {
            guard case .pending = Self.ask("example.com", from: client) else {
                Issue.record("\(client): not forwarded")
                continue
            }
        }
        #expect(Self.rcode(Self.ask("example.com", from: "198.51.100.7")) == 5)
        // Cluster names answer for everyone.
        #expect(Self.rcode(Self.ask("web.default.svc.cluster.local", from: "198.51.100.7")) == 0)
    }

    @Test("a query without RD is never forwarded")
    func noRecursionNoForwarding() {
        #expect(Self.rcode(Self.ask("example.com", recursion: false, from: "127.0.0.1")) == 5)
    }

    @Test("a UDP reply is capped at 1232 bytes whatever the client's EDNS buffer, truncated with TC")
    func udpReplyCap() {
        guard case .reply(let reply) = Self.ask("huge.default.svc.cluster.local", from: "198.51.100.7", bufferSize: 65000) else {
            Issue.record("no reply")
            return
        }
        #expect(reply.count <= 1232, "\(reply.count) bytes over UDP (was 41,801 for a 58-byte query)")
        #expect(reply[2] & 0x02 != 0, "TC set")
    }
}
