import Foundation
import NIOCore
import NIOPosix
import SwitchyardDNS
import Testing

/// An upstream that never answers: a UDP socket on 127.0.0.1 that only counts what arrives.
private final class SilentUpstream: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var big: Int32 = 8 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Datagrams received (and discarded) so far, and from how many source ports.
    func drain() -> (datagrams: Int, sourcePorts: Int) {
        var count = 0
        var ports: Set<UInt16> = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            var source = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let received = withUnsafeMutablePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            guard received > 0 else { return (count, ports.count) }
            count += 1
            ports.insert(UInt16(bigEndian: source.sin_port))
        }
    }

    deinit { close(fd) }
}

@Suite("Forwarding: shared upstream sockets, an in-flight cap, identical questions coalesced (issue 15, item 11)", .serialized)
struct ForwarderLimitsTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test("3,000 distinct questions to a silent upstream go out on a few sockets, at most the cap wait, the rest fail at once")
    func floodAgainstSilentUpstream() async throws {
        let upstream = try SilentUpstream()
        let forwarder = Forwarder(servers: [try SocketAddress(ipAddress: "127.0.0.1", port: upstream.port)], group: group,
                                  timeout: .seconds(3), maxInFlight: 500)
        let loop = group.next()
        var futures: [EventLoopFuture<DNSMessage>] = []
        for index in 0..<3000 {
            futures.append(forwarder.resolve(Question(name: DNSName("n\(index).example.org")!, type: .a), on: loop))
        }
        #expect(forwarder.questionsInFlight == 500)
        #expect(forwarder.overloadedQuestions == 2500)
        for future in futures { _ = try? await future.get() }
        #expect(forwarder.questionsInFlight == 0)
        let seen = upstream.drain()
        #expect(seen.datagrams == 500)
        #expect(seen.sourcePorts <= 8, "\(seen.sourcePorts) sockets (one per query before: 16,276 descriptors at 12,000 q/s)")
    }

    @Test("identical questions waiting for the upstream share one upstream query")
    func coalescing() async throws {
        let upstream = try SilentUpstream()
        let forwarder = Forwarder(servers: [try SocketAddress(ipAddress: "127.0.0.1", port: upstream.port)], group: group,
                                  timeout: .milliseconds(500))
        let loops = (0..<4).map { _ in group.next() }
        let futures = (0..<100).map { index in
            forwarder.resolve(Question(name: DNSName("same.example.org")!, type: .a), on: loops[index % 4])
        }
        #expect(forwarder.questionsInFlight == 1)
        var failures = 0
        for future in futures {
            do { _ = try await future.get() } catch { failures += 1 }
        }
        #expect(failures == 100, "all time out together")
        #expect(upstream.drain().datagrams == 1, "one datagram reached the upstream")
    }
}
