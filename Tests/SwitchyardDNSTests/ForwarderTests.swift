import NIOCore
import NIOPosix
import SwitchyardDNS
import SwitchyardModel
import Testing

/// An upstream on 127.0.0.1: another DNSServer authoritative for `example.com.`.
func upstreamZone() -> DNSZone {
    var store = ClusterStore()
    store.apply([
        .added(.namespace(Namespace(name: "default"))),
        .added(.service(Service(namespace: "default", name: "web", clusterIPs: [Fixture.ip("192.0.2.7")]))),
        .added(.service(Service(namespace: "default", name: "big", isHeadless: true))),
        .added(Fixture.slice("default", "big-1", service: "big",
                             endpoints: (1...200).map { Fixture.endpoint("198.51.\($0 / 250).\($0 % 250)") }, ports: [])),
    ])
    return DNSZone(snapshot: store.snapshot, options: DNSZoneOptions(zones: [DNSName("example.com")!], ttl: 60, serial: 3))
}

@Suite("forwarder", .serialized)
struct ForwarderTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func clusterZone(_ extra: [ClusterObject]) -> DNSZone {
        DNSZone(snapshot: Fixture.snapshot(extra), options: DNSZoneOptions(serial: 1, reverseFallthrough: true))
    }

    @Test("out-of-zone names are relayed from the upstream; a silent upstream is skipped after the timeout")
    func forwarding() async throws {
        let upstream = try await RunningServer.start(zone: upstreamZone())
        // A bound socket that never answers.
        let blackhole = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        guard let silent = blackhole.localAddress else { throw TestFailure("no blackhole address") }
        let forwarder = Forwarder(
            servers: [silent, try DNSAddress.parse("127.0.0.1:\(upstream.port)")], group: group, timeout: .milliseconds(200))
        let running = try await RunningServer.start(zone: clusterZone([]), forwarder: forwarder)
        let replies = try await UDPClient.exchange(port: running.port, count: 1, name: "web.default.svc.example.com")
        #expect(replies.first?.answers.map(\.description) == ["web.default.svc.example.com. 60 IN A 192.0.2.7"])
        #expect(forwarder.cache.count == 1)
        // The unknown PTR falls through to the upstream too (its NXDOMAIN comes back).
        let ptr = try await TCPClient.exchange(port: running.port, queries: [
            DNSMessage.query(id: 9, name: DNSName("9.9.9.9.in-addr.arpa.")!, type: .ptr).encoded(),
        ])
        #expect(ptr.first?.rcode == .nameError)
        try await running.stop()
        try await upstream.stop()
        try await blackhole.close()
    }

    @Test("a truncated upstream UDP reply is retried over TCP")
    func tcpRetry() async throws {
        let upstream = try await RunningServer.start(zone: upstreamZone())
        let forwarder = Forwarder(servers: [try DNSAddress.parse("127.0.0.1:\(upstream.port)")], group: group)
        let reply = try await forwarder.resolve(Question(name: DNSName("big.default.svc.example.com")!, type: .a),
                                                on: group.next()).get()
        #expect(!reply.flags.truncated)
        #expect(reply.answers.count == 200)
        try await upstream.stop()
    }

    @Test("ExternalName outside the zone: CNAME then the upstream's records; NXDOMAIN upstream keeps the CNAME; failure is NODATA")
    func externalName() async throws {
        let upstream = try await RunningServer.start(zone: upstreamZone())
        let forwarder = Forwarder(servers: [try DNSAddress.parse("127.0.0.1:\(upstream.port)")], group: group)
        let zone = clusterZone([
            .service(Service(namespace: "default", name: "out", type: .externalName, externalName: "web.default.svc.example.com")),
            .service(Service(namespace: "default", name: "gone", type: .externalName, externalName: "nope.default.svc.example.com")),
        ])
        let running = try await RunningServer.start(zone: zone, forwarder: forwarder)
        let replies = try await TCPClient.exchange(port: running.port, queries: [
            DNSMessage.query(id: 1, name: DNSName("Out.default.svc.cluster.local")!, type: .a).encoded(),
            DNSMessage.query(id: 2, name: DNSName("gone.default.svc.cluster.local")!, type: .a).encoded(),
        ]).sorted { $0.id < $1.id }
        #expect(replies.first?.answers.map(\.description) == [
            "Out.default.svc.cluster.local. 30 IN CNAME web.default.svc.example.com.",
            "web.default.svc.example.com. 60 IN A 192.0.2.7",
        ])
        #expect(replies.last?.rcode == .noError)
        #expect(replies.last?.answers.map(\.description) == ["gone.default.svc.cluster.local. 30 IN CNAME nope.default.svc.example.com."])
        try await running.stop()
        try await upstream.stop()
        // Without a reachable upstream the CNAME is dropped: NODATA with the SOA.
        let dead = Forwarder(servers: [try DNSAddress.parse("127.0.0.1:1")], group: group, timeout: .milliseconds(200))
        let lonely = try await RunningServer.start(zone: zone, forwarder: dead)
        let failed = try await UDPClient.exchange(port: lonely.port, count: 1, name: "out.default.svc.cluster.local")
        #expect(failed.first?.rcode == .noError)
        #expect(failed.first?.answers.isEmpty == true)
        #expect(failed.first?.authority.map(\.description) == [soaCluster])
        try await lonely.stop()
    }

    @Test("--upstream none: out-of-zone names are REFUSED over the wire")
    func refusedWithoutUpstream() async throws {
        let running = try await RunningServer.start(zone: Fixture.zone())
        let replies = try await UDPClient.exchange(port: running.port, count: 1, name: "example.org")
        #expect(replies.first?.rcode == .refused)
        #expect(replies.first?.flags.authoritative == false)
        try await running.stop()
    }
}

@Suite("forwarder cache")
struct ForwarderCacheTests {
    static let question = Question(name: DNSName("Example.org")!, type: .a)

    static func reply(rcode: ResponseCode = .noError, answers: [UInt32] = [], soa: (ttl: UInt32, minimum: UInt32)? = nil) -> DNSMessage {
        var flags = HeaderFlags()
        flags.isResponse = true
        let owner = DNSName("example.org")!
        return DNSMessage(
            id: 1, flags: flags, rcode: rcode, questions: [question],
            answers: answers.map { ResourceRecord(name: owner, ttl: $0, data: .a(IPv4Address(192, 0, 2, 1))) },
            authority: soa.map { [ResourceRecord(name: DNSName("org")!, ttl: $0.ttl, data: .soa(SOAData(
                mname: DNSName("a.org")!, rname: DNSName("b.org")!, serial: 1, refresh: 1, retry: 1, expire: 1,
                minimum: $0.minimum)))] } ?? [])
    }

    @Test("positive entries live for the smallest TTL and age; lookups ignore case")
    func positive() {
        let cache = ForwarderCache()
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        cache.store(Self.reply(answers: [300, 60]), for: Self.question, dnssecOK: false, now: t0)
        let later = cache.lookup(Question(name: DNSName("EXAMPLE.ORG")!, type: .a), dnssecOK: false, now: t0 + .seconds(10))
        #expect(later?.answers.map(\.ttl) == [290, 50])
        #expect(cache.lookup(Self.question, dnssecOK: false, now: t0 + .seconds(61)) == nil)
        #expect(cache.lookup(Self.question, dnssecOK: true, now: t0) == nil)
    }

    @Test("negative entries live for min(SOA TTL, MINIMUM); without SOA, and SERVFAIL, nothing is cached")
    func negative() {
        let cache = ForwarderCache()
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        cache.store(Self.reply(rcode: .nameError, soa: (ttl: 900, minimum: 30)), for: Self.question, dnssecOK: false, now: t0)
        #expect(cache.lookup(Self.question, dnssecOK: false, now: t0 + .seconds(29))?.rcode == .nameError)
        #expect(cache.lookup(Self.question, dnssecOK: false, now: t0 + .seconds(31)) == nil)
        let other = ForwarderCache()
        other.store(Self.reply(rcode: .nameError), for: Self.question, dnssecOK: false, now: t0)
        other.store(Self.reply(rcode: .serverFailure, answers: [60]), for: Self.question, dnssecOK: false, now: t0)
        #expect(other.count == 0)
    }

    @Test("the cache stays within its capacity")
    func bounded() {
        let cache = ForwarderCache(capacity: 100)
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        for i in 0..<1000 {
            cache.store(Self.reply(answers: [60]), for: Question(name: DNSName("n\(i).example.org")!, type: .a), dnssecOK: false, now: t0)
        }
        #expect(cache.count == 100)
        #expect(cache.lookup(Question(name: DNSName("n999.example.org")!, type: .a), dnssecOK: false, now: t0) != nil)
        #expect(cache.lookup(Question(name: DNSName("n0.example.org")!, type: .a), dnssecOK: false, now: t0) == nil)
    }

    @Test("resolv.conf nameservers and listen addresses parse", arguments: [
        ("127.0.0.1:5353", "127.0.0.1", 5353), ("10.0.0.1", "10.0.0.1", 53), ("[::1]:5353", "::1", 5353), ("::1", "::1", 53),
    ])
    func addresses(_ input: (String, String, Int)) throws {
        let address = try DNSAddress.parse(input.0)
        #expect(address.ipAddress == input.1)
        #expect(address.port == input.2)
    }

    @Test("resolv.conf parsing")
    func resolvConf() {
        let servers = DNSAddress.nameservers(resolvConf: "# x\nsearch a\nnameserver 10.0.0.2\nnameserver  fd00::53\nnameserver fe80::1%eth0\noptions ndots:5\n")
        #expect(servers.map { "\($0.ipAddress ?? "")" } == ["10.0.0.2", "fd00::53"])
        #expect(throws: DNSAddressError.self) { try DNSAddress.parse("nope:53") }
    }
}
