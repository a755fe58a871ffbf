import Foundation
import Testing
import SwitchyardModel
@testable import SwitchyardSandbox

/// The echo server and the probe on loopback, in-process: no root needed.
@Suite("EchoServer and Probe on loopback")
struct EchoServerTests {
    /// Runs a server on 127.0.0.1 (ephemeral ports) for the duration of `body`.
    func withServer(_ body: (EchoServer) throws -> Void) throws {
        let server = try EchoServer(
            name: "echo-1", tcpPorts: [0], udpPorts: [0], bindAddresses: [Fixture.ip("127.0.0.1")],
            greetingDelay: .milliseconds(50))
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.run()
            finished.signal()
        }
        defer {
            server.stop()
            finished.wait()
        }
        try body(server)
    }

    let loopback = Fixture.ip("127.0.0.1")

    @Test("TCP and UDP replies name the server and the client's address")
    func replies() throws {
        try withServer { server in
            for proto in [TransportProtocol.tcp, .udp] {
                let port = try #require(server.port(proto))
                let reply = try #require(Probe.request(to: loopback, port: port, proto: proto).reply, "\(proto)")
                #expect(reply.name == "echo-1")
                #expect(reply.sourceAddress == loopback)
                #expect(reply.sourcePort > 0)
            }
        }
    }

    @Test("a closed port is refused at once, for TCP (RST) and UDP (ICMP port unreachable)")
    func refused() throws {
        // Bind and close to find ports nobody listens on.
        let closed = try EchoServer(name: "gone", tcpPorts: [0], udpPorts: [0], bindAddresses: [loopback])
        let ports = (try #require(closed.port(.tcp)), try #require(closed.port(.udp)))
        closed.stop()
        closed.run()
        let start = ContinuousClock.now
        #expect(Probe.request(to: loopback, port: ports.0, proto: .tcp, timeout: .seconds(2)) == .refused)
        #expect(Probe.request(to: loopback, port: ports.1, proto: .udp, timeout: .seconds(2)) == .refused)
        #expect(start.duration(to: .now) < .seconds(1), "refusal must not wait for the timeout")
    }

    @Test("a held connection echoes lines until closed; a silent client is greeted after the delay")
    func held() throws {
        try withServer { server in
            let port = try #require(server.port(.tcp))
            let connection = try HeldConnection.open(to: loopback, port: port, source: nil, timeout: .seconds(1), namespace: nil).get()
            #expect(connection.greeting.name == "echo-1")
            #expect(connection.isAlive())
            #expect(connection.isAlive())
            connection.close()
            #expect(!connection.isAlive(), "a closed connection is not alive")

            // A client that sends nothing still gets the greeting.
            guard case .connected(let fd) = try Probe.connectTCP(to: loopback, port: port, source: nil, deadline: .now + .seconds(1), namespace: nil) else {
                Issue.record("connect failed")
                return
            }
            defer { close(fd) }
            #expect(Probe.readReply(fd, deadline: .now + .seconds(1)).name == "echo-1")
        }
    }

    @Test("an HTTP request gets an HTTP answer with the greeting as body")
    func http() throws {
        try withServer { server in
            let port = try #require(server.port(.tcp))
            guard case .connected(let fd) = try Probe.connectTCP(to: loopback, port: port, source: nil, deadline: .now + .seconds(1), namespace: nil) else {
                Issue.record("connect failed")
                return
            }
            defer { close(fd) }
            #expect(Probe.sendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            var lines: [String] = []
            while case .line(let line) = Probe.readLine(fd, deadline: .now + .seconds(1)) { lines.append(line) }
            #expect(lines.first == "HTTP/1.1 200 OK\r")
            #expect(EchoReply(line: lines.last ?? "")?.name == "echo-1")
        }
    }

    @Test("nothing listening and nothing answering is a timeout, not a refusal")
    func timeout() {
        // 192.0.2.1 (TEST-NET-1) from inside a namespace would be better; on loopback a UDP socket that
        // reads but never answers shows the same: bind one and never read it.
        let silent = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(silent) }
        var (storage, length) = SocketAddress.make(loopback, port: 0)
        _ = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length) } }
        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent, $0, &boundLength) } }
        let port = SocketAddress.parse(bound)?.port ?? 0
        #expect(Probe.request(to: loopback, port: port, proto: .udp, timeout: .milliseconds(200)) == .timedOut)
    }
}
