import Testing
import SwitchyardModel
@testable import SwitchyardSandbox

@Suite("EchoReply lines")
struct EchoReplyTests {
    @Test("parses what an echo server writes", arguments: [
        ("web-a 10.0.0.1:5000\n", "web-a", "10.0.0.1", 5000),
        ("api-a [fd00:50::100]:443", "api-a", "fd00:50::100", 443),
        ("host-192.168.50.101 192.168.50.100:1", "host-192.168.50.101", "192.168.50.100", 1),
    ])
    func parses(line: String, name: String, address: String, port: Int) throws {
        let reply = try #require(EchoReply(line: line))
        #expect(reply.name == name)
        #expect(reply.sourceAddress == IPAddress(address))
        #expect(reply.sourcePort == port)
        #expect(EchoReply(line: reply.description) == reply, "description round-trips")
    }

    @Test("rejects other text", arguments: ["", "refused", "web 10.0.0.1", "web 10.0.0.1:99999", "a b c:1", "web fd00::1:80x"])
    func rejects(line: String) {
        #expect(EchoReply(line: line) == nil)
    }

    @Test("probe outcomes print and exit distinctly")
    func outcomes() {
        let all: [ProbeResult] = [
            .reply(EchoReply(name: "p", sourceAddress: Fixture.ip("10.0.0.1"), sourcePort: 1)),
            .refused, .timedOut, .unreachable, .failed("x"),
        ]
        #expect(Set(all.map(\.exitCode)).count == all.count)
        #expect(all.map(\.description) == ["p 10.0.0.1:1", "refused", "timeout", "unreachable", "error: x"])
    }
}
