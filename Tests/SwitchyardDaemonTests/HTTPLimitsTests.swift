import Foundation
import NIOCore
import SwitchyardTestSupport
import Testing
@testable import SwitchyardDaemon

/// A raw TCP client for the limits tests: connects to 127.0.0.1, writes, and waits for the close.
private struct RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = try LoopbackTCP.connect(port: port)
    }

    func send(_ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// Everything read until the server closes the connection, or nil when it is still open after `seconds`.
    func readUntilClosed(within seconds: Double) -> String? {
        var collected: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return String(decoding: collected, as: UTF8.self) }
            collected += buffer[0..<count]
        }
        return nil
    }

    func close() { _ = Glibc.close(fd) }
}

@Suite("HTTP servers: header and idle timeouts, a connection cap (issue 15, item 1)")
struct HTTPLimitsTests {
    static let limits = HTTPServerLimits(headerTimeout: .milliseconds(300), idleTimeout: .milliseconds(300), maxConnections: 4)

    static func server() async throws -> HTTPServer {
        try await HTTPServer.bind(host: "127.0.0.1", port: 0, responder: { _ in HTTPResponse(status: .ok, body: "ok") }, limits: limits)
    }

    @Test("a connection that sends nothing, and one that trickles its request head, are closed at the header timeout")
    func idleAndTrickling() async throws {
        let server = try await Self.server()
        defer { Task { await server.close() } }
        let port = server.port
        try await offPool {
            let idle = try RawClient(port: port)
            defer { idle.close() }
            let trickling = try RawClient(port: port)
            defer { trickling.close() }
            trickling.send("GET /healthz HTTP/1.1\r\n")
            // Two more bytes every 100 ms: each read would reset a plain idle timer.
            var closed: String?
            for _ in 0..<10 where closed == nil {
                trickling.send("X-")
                closed = trickling.readUntilClosed(within: 0.1)
            }
            #expect(closed == "", "the trickling client is cut off without an answer")
            #expect(idle.readUntilClosed(within: 2) == "", "the idle client is closed")
        }
    }

    @Test("a kept-alive connection is answered, then closed when no next request comes")
    func keepAliveIdle() async throws {
        let server = try await Self.server()
        defer { Task { await server.close() } }
        let port = server.port
        try await offPool {
            let client = try RawClient(port: port)
            defer { client.close() }
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = client.readUntilClosed(within: 3)
            #expect(answer?.hasPrefix("HTTP/1.1 200 OK") == true)
            #expect(answer?.hasSuffix("ok") == true)
        }
    }

    @Test("connections beyond the cap are closed at once; those held stay, and a freed slot is usable again")
    func connectionCap() async throws {
        let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0, responder: { _ in HTTPResponse(status: .ok, body: "ok") },
                                               limits: HTTPServerLimits(headerTimeout: .seconds(30), idleTimeout: .seconds(30), maxConnections: 4))
        defer { Task { await server.close() } }
        let port = server.port
        try await offPool {
            let held = try (0..<4).map { _ in try RawClient(port: port) }
            Thread.sleep(forTimeInterval: 0.2)  // the four are accepted before the fifth arrives
            let extra = try RawClient(port: port)
            #expect(extra.readUntilClosed(within: 2) == "", "the fifth connection is closed")
            extra.close()
            held[0].send("GET / HTTP/1.0\r\n\r\n")
            #expect(held[0].readUntilClosed(within: 2)?.hasPrefix("HTTP/1.0 200 OK") == true, "a held connection is served")
            held[0].close()
            Thread.sleep(forTimeInterval: 0.2)
            let again = try RawClient(port: port)
            again.send("GET / HTTP/1.0\r\n\r\n")
            #expect(again.readUntilClosed(within: 2)?.hasPrefix("HTTP/1.0 200 OK") == true, "the freed slot takes a new connection")
            again.close()
            for client in held.dropFirst() { client.close() }
        }
    }
}
