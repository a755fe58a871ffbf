import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchyardDNS
import SwitchyardModel
import SwitchyardSystem
import Testing

/// Runs a tool and returns its standard output (nil when the tool is missing).
func run(_ tool: String, _ arguments: [String]) throws -> String? {
    let path = ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let path else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Answer lines of dig/kdig output with whitespace collapsed to single spaces.
func answerLines(_ output: String) -> [String] {
    output.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
        .filter { !$0.isEmpty && !$0.hasPrefix(";") }
}

/// A started server on 127.0.0.1 with an ephemeral port; stopped by `stop()`.
struct RunningServer {
    let server: DNSServer
    let port: Int

    static func start(zone: DNSZone, forwarder: Forwarder? = nil) async throws -> RunningServer {
        let server = DNSServer(
            configuration: DNSServerConfiguration(listen: [try DNSAddress.parse("127.0.0.1:0")]), zone: zone,
            forwarder: forwarder, group: MultiThreadedEventLoopGroup.singleton)
        let bound = try await server.start()
        guard let port = bound.first?.port else { throw TestFailure("no port bound") }
        return RunningServer(server: server, port: port)
    }

    func stop() async throws { try await server.stop() }
}

struct DigCase: Sendable, CustomStringConvertible {
    var arguments: [String]
    var expected: [String]
    var description: String { arguments.joined(separator: " ") }
}

let digCases: [DigCase] = [
    DigCase(arguments: ["web.default.svc.cluster.local"], expected: ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
    DigCase(arguments: ["_dns._udp.kube-dns.kube-system.svc.cluster.local", "SRV"],
            expected: ["_dns._udp.kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local."]),
    DigCase(arguments: ["db-0.db.default.svc.cluster.local"], expected: ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.10"]),
    DigCase(arguments: ["-x", "10.96.0.10"], expected: ["10.0.96.10.in-addr.arpa. 30 IN PTR kube-dns.kube-system.svc.cluster.local."]),
    DigCase(arguments: ["ext.default.svc.cluster.local", "CNAME"], expected: ["ext.default.svc.cluster.local. 30 IN CNAME example.com."]),
    DigCase(arguments: ["dual.default.svc.cluster.local", "AAAA"], expected: ["dual.default.svc.cluster.local. 30 IN AAAA fd00::30"]),
]

@Suite("server end to end", .serialized)
struct ServerTests {
    @Test("dig and kdig over UDP and TCP", arguments: digCases)
    func digAndKdig(_ c: DigCase) async throws {
        let running = try await RunningServer.start(zone: Fixture.zone())
        defer { Task { try? await running.stop() } }
        for transport in ["+notcp", "+tcp"] {
            guard let dig = try run("dig", ["@127.0.0.1", "-p", "\(running.port)", "+noall", "+answer", transport] + c.arguments)
            else { Issue.record("dig is not installed"); return }
            #expect(answerLines(dig) == c.expected, "dig \(transport) \(c)")
            let kdigArgs = c.arguments.first == "-x" ? c.arguments : c.arguments
            guard let kdig = try run("kdig", ["@127.0.0.1", "-p", "\(running.port)", "+noall", "+answer", transport] + kdigArgs)
            else { Issue.record("kdig is not installed"); return }
            #expect(answerLines(kdig) == c.expected, "kdig \(transport) \(c)")
        }
        try await running.stop()
    }

    static func bigZone() -> DNSZone {
        var store = ClusterStore()
        store.apply((Fixture.objects + [
            .service(Service(namespace: "default", name: "big", isHeadless: true)),
            Fixture.slice("default", "big-1", service: "big",
                          endpoints: (1...60).map { Fixture.endpoint("10.250.0.\($0)") }, ports: []),
        ]).map(ClusterEvent.added))
        return DNSZone(snapshot: store.snapshot, options: DNSZoneOptions(serial: 1))
    }

    @Test("truncated over UDP at 512 bytes, complete over TCP; dig retries over TCP itself")
    func truncationOverTheWire() async throws {
        let running = try await RunningServer.start(zone: Self.bigZone())
        let base = ["@127.0.0.1", "-p", "\(running.port)", "+noall", "+answer", "big.default.svc.cluster.local"]
        guard let udp = try run("dig", base + ["+noedns", "+ignore"]), let tcp = try run("dig", base + ["+tcp"]),
              let retried = try run("dig", base + ["+noedns"]),
              let kdigTCP = try run("kdig", base + ["+tcp"])
        else { Issue.record("dig/kdig missing"); return }
        #expect(answerLines(udp).count == 29)
        #expect(answerLines(tcp).count == 60)
        #expect(answerLines(retried).count == 60)
        #expect(answerLines(kdigTCP).count == 60)
        let header = try run("dig", ["@127.0.0.1", "-p", "\(running.port)", "+noedns", "+ignore", "big.default.svc.cluster.local"]) ?? ""
        #expect(header.contains("flags: qr aa tc rd"))
        try await running.stop()
    }

    @Test("status lines: NXDOMAIN with SOA, NOTIMP-free, RA clear")
    func digStatus() async throws {
        let running = try await RunningServer.start(zone: Fixture.zone())
        guard let out = try run("dig", ["@127.0.0.1", "-p", "\(running.port)", "nope.default.svc.cluster.local"]) else {
            Issue.record("dig missing"); return
        }
        #expect(out.contains("status: NXDOMAIN"))
        #expect(out.contains("flags: qr aa rd;"))
        #expect(out.contains("recursion requested but not available"))
        #expect(answerLines(out).contains(soaCluster))
        try await running.stop()
    }

    @Test("several listen addresses each serve UDP and TCP; dig +edns=1 gets BADVERS")
    func severalListenAddresses() async throws {
        let server = DNSServer(
            configuration: DNSServerConfiguration(listen: [try DNSAddress.parse("127.0.0.1:0"), try DNSAddress.parse("127.0.0.2:0")]),
            zone: Fixture.zone(), group: MultiThreadedEventLoopGroup.singleton)
        let bound = try await server.start()
        #expect(bound.count == 2)
        for address in bound {
            guard let ip = address.ipAddress, let port = address.port else { continue }
            for transport in ["+notcp", "+tcp"] {
                let out = try run("dig", ["@\(ip)", "-p", "\(port)", "+short", transport, "web.default.svc.cluster.local"])
                #expect(out?.trimmingCharacters(in: .whitespacesAndNewlines) == "10.96.0.20", "\(ip) \(transport)")
            }
        }
        let badvers = try run("dig", ["@127.0.0.1", "-p", "\(bound[0].port ?? 0)", "+edns=1", "+noednsnegotiation",
                                      "web.default.svc.cluster.local"])
        #expect(badvers?.contains("status: BADVERS") == true)
        try await server.stop()
    }

    @Test("several queries on one TCP connection")
    func tcpPipelining() async throws {
        let running = try await RunningServer.start(zone: Fixture.zone())
        let names = ["web.default.svc.cluster.local", "db.default.svc.cluster.local", "dual.default.svc.cluster.local"]
        // dig +keepopen sends every query over the same connection.
        guard let out = try run("dig", ["@127.0.0.1", "-p", "\(running.port)", "+tcp", "+keepopen", "+noall", "+answer"] + names)
        else { Issue.record("dig missing"); return }
        #expect(answerLines(out).count == 4)
        let replies = try await TCPClient.exchange(port: running.port, queries: names.enumerated().map { index, name in
            DNSMessage.query(id: UInt16(index + 1), name: DNSName(name)!, type: .a).encoded()
        })
        #expect(replies.map(\.id) == [1, 2, 3])
        #expect(replies.map(\.answers.count) == [1, 2, 1])
        try await running.stop()
    }

    @Test("publishing zones while queries run drops none")
    func publishUnderLoad() async throws {
        let first = Fixture.zone()
        var store = ClusterStore()
        store.apply(Fixture.objects.map(ClusterEvent.added))
        store.apply(.updated(.service(Service(namespace: "default", name: "web", clusterIPs: [Fixture.ip("10.96.0.21")],
                                              ports: [ServicePort(name: "http", port: 80)]))))
        let second = DNSZone(snapshot: store.snapshot, options: DNSZoneOptions(serial: 2))
        let running = try await RunningServer.start(zone: first)
        let publisher = Task {
            for i in 0..<400 {
                running.server.publish(i % 2 == 0 ? second : first)
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        var answered = 0
        var seen = Set<String>()
        for _ in 0..<3 {
            let replies = try await UDPClient.exchange(port: running.port, count: 300, name: "web.default.svc.cluster.local")
            answered += replies.count
            for reply in replies {
                #expect(reply.rcode == .noError && reply.answers.count == 1)
                if let rr = reply.answers.first { seen.insert(rr.description) }
            }
        }
        try await publisher.value
        #expect(answered == 900)
        #expect(seen.isSubset(of: ["web.default.svc.cluster.local. 30 IN A 10.96.0.20", "web.default.svc.cluster.local. 30 IN A 10.96.0.21"]))
        running.server.publish(second)
        let after = try await UDPClient.exchange(port: running.port, count: 1, name: "web.default.svc.cluster.local")
        #expect(after.first?.answers.first?.description == "web.default.svc.cluster.local. 30 IN A 10.96.0.21")
        try await running.stop()
    }
}

/// A minimal NIO client for the tests: sends queries and collects decoded replies.
enum UDPClient {
    static func exchange(port: Int, count: Int, name: String) async throws -> [DNSMessage] {
        let remote = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        // Replies from the server asked only: the suite runs in parallel, and a port this client got
        // may have been another test's client a moment before, whose server still answers there.
        // An event loop of its own, which also sends and re-sends the queries: the suites running
        // beside this one can hold the concurrency pool's two threads for seconds (a CI run took
        // 16 s to set this test up, and its retries, sent from a task, never went out in time).
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let collector = Collector(expected: count, eventLoop: loop, from: remote, deadline: nil)
        defer {
            // Completed already unless the exchange threw (a second completion is ignored).
            collector.done.fail(TestFailure("the exchange ended"))
            group.shutdownGracefully { _ in }
        }
        // Room for the whole burst of replies, should this client's loop not read for a while.
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(ListeningSocket.udpReceiveBuffer))
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(collector.udpHandler()) } }
            .bind(host: "127.0.0.1", port: 0).get()
        let queries = (0..<count).map { DNSMessage.query(id: UInt16($0), name: DNSName(name)!, type: .a).encoded() }
        /// Sends the queries of `ids`, 50 every 2 ms.
        @Sendable func send(_ ids: ArraySlice<Int>) {
            for i in ids.prefix(50) {
                channel.write(AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: queries[i])), promise: nil)
            }
            channel.flush()
            let rest = ids.dropFirst(50)
            if !rest.isEmpty { loop.scheduleTask(in: .milliseconds(2)) { send(rest) } }
        }
        loop.execute {
            collector.armDeadline(.seconds(30))
            send(ArraySlice(0..<count))
            // UDP may drop a datagram on a loaded machine; like any DNS client, ask again every two
            // seconds for what is still unanswered, until the collector's deadline.
            let retries = loop.scheduleRepeatedTask(initialDelay: .seconds(2), delay: .seconds(2)) { _ in
                let answered = collector.answered.withLockedValue { $0 }
                let missing = (0..<count).filter { !answered.contains(UInt16($0)) }
                if !missing.isEmpty { send(ArraySlice(missing)) }
            }
            collector.done.futureResult.whenComplete { _ in retries.cancel() }
        }
        let result = try await collector.done.futureResult.get()
        try await channel.close()
        return result
    }
}

enum TCPClient {
    static func exchange(port: Int, queries: [[UInt8]]) async throws -> [DNSMessage] {
        let collector = Collector(expected: queries.count, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(collector.tcpHandler()) } }
            .connect(host: "127.0.0.1", port: port).get()
        var buffer = channel.allocator.buffer(capacity: 512)
        for q in queries {
            buffer.writeInteger(UInt16(q.count))
            buffer.writeBytes(q)
        }
        try await channel.writeAndFlush(buffer)
        let result = try await collector.done.futureResult.get()
        try await channel.close()
        return result
    }
}

final class Collector: Sendable {
    let expected: Int
    let done: EventLoopPromise<[DNSMessage]>
    let eventLoop: any EventLoop
    /// The ids answered so far (a retransmitted query's second reply is not collected again).
    let answered = NIOLockedValueBox<Set<UInt16>>([])
    /// Where UDP replies must come from (nil: anywhere).
    let source: SocketAddress?

    /// `deadline` (from now; nil: from ``armDeadline(_:)``): generous, since the whole suite runs in
    /// parallel on two cores; a passing exchange takes milliseconds.
    init(expected: Int, eventLoop: any EventLoop, from source: SocketAddress? = nil, deadline: TimeAmount? = .seconds(30)) {
        self.expected = expected
        self.source = source
        self.eventLoop = eventLoop
        done = eventLoop.makePromise()
        if let deadline { armDeadline(deadline) }
    }

    /// Fails the exchange `deadline` from now unless it completed, saying how far it got.
    func armDeadline(_ deadline: TimeAmount) {
        let (promise, answered, expected) = (done, answered, expected)
        eventLoop.scheduleTask(in: deadline) {
            promise.fail(TestFailure("timed out waiting for replies: \(answered.withLockedValue { $0.count }) of \(expected) answered"))
        }
    }

    func udpHandler() -> some ChannelInboundHandler { UDPCollect(parent: self) }
    func tcpHandler() -> some ChannelInboundHandler { TCPCollect(parent: self) }

    final class UDPCollect: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let parent: Collector
        var replies: [DNSMessage] = []
        init(parent: Collector) { self.parent = parent }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = Self.unwrapInboundIn(data)
            if let source = parent.source, envelope.remoteAddress != source { return }
            if let m = try? envelope.data.withUnsafeReadableBytes({ try DNSMessage(decoding: $0) }),
               parent.answered.withLockedValue({ $0.insert(m.id).inserted }) {
                replies.append(m)
            }
            if replies.count == parent.expected { parent.done.succeed(replies) }
        }
    }

    final class TCPCollect: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let parent: Collector
        var buffer = ByteBuffer()
        var replies: [DNSMessage] = []
        init(parent: Collector) { self.parent = parent }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = Self.unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self), buffer.readableBytes >= Int(length) + 2 {
                buffer.moveReaderIndex(forwardBy: 2)
                if let bytes = buffer.readBytes(length: Int(length)), let m = try? DNSMessage(decoding: bytes) { replies.append(m) }
            }
            if replies.count == parent.expected { parent.done.succeed(replies) }
        }
    }
}
