#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
@testable import SwitchyardDNS
import SwitchyardModel
import SwitchyardSystem
import Testing

/// A blocking UDP client on loopback that can tell no reply came (within 300 ms).
private struct WaitingUDPClient: ~Copyable {
    let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 300_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(id: UInt16, name: String, to port: Int) {
        let query = DNSMessage.query(id: id, name: DNSName(name)!, type: .a, recursionDesired: false).encoded()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        _ = query.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// The ids of the replies read until none comes for 300 ms.
    func replyIDs() -> [UInt16] {
        var ids: [UInt16] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count >= 12 else { return ids }
            ids.append(UInt16(buffer[0]) << 8 | UInt16(buffer[1]))
        }
    }
}

@Suite("UDP query loop: batches on a thread of its own, paused and resumed for a hand-over", .serialized)
struct UDPQueryLoopTests {
    static func attached() async throws -> (DNSServer, [ServedSocket], port: Int) {
        let server = DNSServer(configuration: DNSServerConfiguration(listen: []), zone: Fixture.zone(),
                               group: MultiThreadedEventLoopGroup.singleton)
        let udp = try ListeningSocket(.udp, address: "127.0.0.1", port: 0, transparent: false).open(in: .current)
        let tcp = try ListeningSocket(.tcp, address: "127.0.0.1", port: 0, transparent: false).open(in: .current)
        var storage = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(udp, $0, &length) } }
        let served = try await server.attach(udp: udp, tcp: tcp, describing: "127.0.0.1")
        return (server, served, Int(UInt16(bigEndian: storage.sin_port)))
    }

    @Test("a burst larger than a batch is answered whole, each reply to its query")
    func burst() async throws {
        let (server, served, port) = try await Self.attached()
        let replies = try await UDPClient.exchange(port: port, count: 200, name: "web.default.svc.cluster.local")
        #expect(replies.map(\.id).sorted() == (0..<200).map { UInt16($0) })
        #expect(replies.allSatisfy { $0.answers.first?.description == "web.default.svc.cluster.local. 30 IN A 10.96.0.20" })
        await server.detach(served)
    }

    @Test("a UDP listening socket has room for a burst: its receive buffer is the one asked for, or rmem_max")
    func receiveBuffer() throws {
        let fd = try ListeningSocket(.udp, address: "127.0.0.1", port: 0, transparent: false).open(in: .current)
        defer { close(fd) }
        var size: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &length) == 0)
        let rmemMax = (try? String(contentsOfFile: "/proc/sys/net/core/rmem_max", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        // The kernel reports twice what it grants (the doubling covers its bookkeeping).
        #expect(Int(size) >= 2 * Int(min(ListeningSocket.udpReceiveBuffer, rmemMax)), "SO_RCVBUF \(size), rmem_max \(rmemMax)")
    }

    @Test("paused, queries wait in the socket; resumed, they are answered; closed, the socket is gone")
    func pauseAndResume() async throws {
        let (server, served, port) = try await Self.attached()
        guard case .udp(let loop) = served[0] else { throw TestFailure("the first socket served is not UDP") }
        let client = try WaitingUDPClient()
        client.send(id: 1, name: "web.default.svc.cluster.local", to: port)
        #expect(client.replyIDs() == [1])
        await loop.pause()
        await loop.pause()  // twice is once
        client.send(id: 2, name: "web.default.svc.cluster.local", to: port)
        client.send(id: 3, name: "db-0.db.default.svc.cluster.local", to: port)
        #expect(client.replyIDs() == [], "a paused loop does not read")
        loop.resume()
        #expect(client.replyIDs() == [2, 3])
        #expect(loop.lag == .zero, "an idle loop has no lag")
        await server.detach(served)
        client.send(id: 4, name: "web.default.svc.cluster.local", to: port)
        #expect(client.replyIDs() == [], "nothing answers a closed socket")
    }

    @Test("listening on :: takes IPv4 and IPv6 queries over UDP, as the TCP listener beside it does")
    func dualStack() async throws {
        let server = DNSServer(configuration: DNSServerConfiguration(listen: [try DNSAddress.parse("[::]:0")]), zone: Fixture.zone(),
                               group: MultiThreadedEventLoopGroup.singleton)
        guard let port = try await server.start().first?.port else { throw TestFailure("no port bound") }
        for target in ["127.0.0.1", "::1"] {
            for transport in ["+notcp", "+tcp"] {
                guard let dig = try run("dig", ["@\(target)", "-p", "\(port)", "+noall", "+answer", "+time=2", "+tries=1", transport,
                                                "web.default.svc.cluster.local"])
                else { Issue.record("dig is not installed"); return }
                #expect(answerLines(dig) == ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"], "dig @\(target) \(transport)")
            }
        }
        try await server.stop()
    }

    @Test("the query thread runs at the configured nice value (-10 by default)")
    func nice() async throws {
        guard getuid() == 0 else {
            print("SKIPPED: lowering a thread's nice value needs CAP_SYS_NICE (run as root)")
            return
        }
        let (server, served, _) = try await Self.attached()
        // The thread sets it as it starts; give it a moment.
        var nices: [Int] = []
        for _ in 0..<50 {
            nices = Self.threadNices()
            if nices.contains(-10) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(nices.contains(-10), "thread nice values: \(nices)")
        await server.detach(served)
    }

    /// The nice value of every thread of this process (/proc/self/task/*/stat, field 19).
    static func threadNices() -> [Int] {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [] }
        return tasks.compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        }
    }

    @Test("the client's address is read in place from sockaddr_in and sockaddr_in6")
    func clientAddress() {
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_addr.s_addr = UInt32(0x0af4_0102).bigEndian
        #expect(withUnsafeBytes(of: v4) { UDPQueryLoop.ipAddress($0) } == IPAddress("10.244.1.2"))
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &v6.sin6_addr) { bytes in
            for (index, byte) in [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34].enumerated() { bytes[index] = UInt8(byte) }
        }
        #expect(withUnsafeBytes(of: v6) { UDPQueryLoop.ipAddress($0) } == IPAddress("fd00::1234"))
        #expect(UDPQueryLoop.ipAddress(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }
}
