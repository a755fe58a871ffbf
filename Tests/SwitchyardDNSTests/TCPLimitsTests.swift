import Foundation
import NIOCore
import NIOPosix
import SwitchyardDNS
import SwitchyardTestSupport
import Testing

/// A blocking TCP client for the limits tests.
private struct BlockingTCPClient {
    let fd: Int32

    init(port: Int) throws {
        fd = try LoopbackTCP.connect(port: port, receiveBuffer: 4096)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends `bytes`; false once the connection is closed by the server (EPIPE, ECONNRESET).
    func send(_ bytes: [UInt8]) -> Bool {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent >= 0 || (errno != EPIPE && errno != ECONNRESET)
    }

    /// Whether the server closed the connection within `seconds` (reads and discards what comes).
    func closedByPeer(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
        }
        return false
    }

    func close() { _ = Glibc.close(fd) }
}

/// `big.default.svc.cluster.local A` (60 addresses, ~1 KB answer), framed for TCP.
private let bigQuery: [UInt8] = {
    let message = DNSMessage.query(id: 7, name: DNSName("big.default.svc.cluster.local")!, type: .a).encoded()
    return [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
}()

@Suite("DNS over TCP: bounded replies per connection, a connection cap (issue 15, item 2)")
struct TCPLimitsTests {
    static func start(_ configuration: DNSServerConfiguration) async throws -> (DNSServer, Int) {
        let server = DNSServer(configuration: configuration, zone: ServerTests.bigZone(), group: MultiThreadedEventLoopGroup.singleton)
        let bound = try await server.start()
        return (server, bound.first?.port ?? 0)
    }

    @Test("a client that pipelines queries and never reads is not read any more, and is closed after the idle period")
    func pipeliningWithoutReading() async throws {
        let (server, port) = try await Self.start(DNSServerConfiguration(
            listen: [try DNSAddress.parse("127.0.0.1:0")], tcpIdleTimeout: .milliseconds(500), maxQueuedRepliesPerConnection: 16))
        let closed = try await Task.detached {
            let client = try BlockingTCPClient(port: port)
            defer { client.close() }
            // Before, each query re-armed the idle timer and every reply was queued: never closed.
            let burst = Array((0..<200).map { _ in bigQuery }.joined())
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                guard client.send(burst) else { return true }
                usleep(20_000)
            }
            return false
        }.value
        #expect(closed, "the server closed the connection while the client was still sending")
        try await server.stop()
    }

    @Test("pipelined queries from a client that reads are all answered")
    func pipeliningWhileReading() async throws {
        let (server, port) = try await Self.start(DNSServerConfiguration(
            listen: [try DNSAddress.parse("127.0.0.1:0")], maxQueuedRepliesPerConnection: 4))
        let answered = try await Task.detached { () -> Int in
            let client = try BlockingTCPClient(port: port)
            defer { client.close() }
            _ = client.send(Array((0..<100).map { _ in bigQuery }.joined()))
            var received: [UInt8] = []
            var replies = 0
            var buffer = [UInt8](repeating: 0, count: 65536)
            let deadline = Date().addingTimeInterval(5)
            while replies < 100, Date() < deadline {
                var entry = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 50) > 0 else { continue }
                let count = recv(client.fd, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                received += buffer[0..<count]
                while received.count >= 2, received.count >= 2 + (Int(received[0]) << 8 | Int(received[1])) {
                    received.removeFirst(2 + (Int(received[0]) << 8 | Int(received[1])))
                    replies += 1
                }
            }
            return replies
        }.value
        #expect(answered == 100)
        try await server.stop()
    }

    @Test("connections beyond the cap are closed when accepted, and counted")
    func connectionCap() async throws {
        let (server, port) = try await Self.start(DNSServerConfiguration(listen: [try DNSAddress.parse("127.0.0.1:0")], maxTCPConnections: 3))
        let extraClosed = try await Task.detached { () -> Bool in
            let held = try (0..<3).map { _ in try BlockingTCPClient(port: port) }
            defer { for client in held { client.close() } }
            usleep(200_000)
            let extra = try BlockingTCPClient(port: port)
            defer { extra.close() }
            return extra.closedByPeer(within: 2)
        }.value
        #expect(extraClosed)
        #expect(server.refusedTCPConnections == 1)
        try await server.stop()
    }
}
