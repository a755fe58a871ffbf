import Testing
import Foundation
@testable import SwitchyardNetlink
import SwitchyardTestSupport

@Suite("Conntrack cleanup deletes exactly the stale UDP flows",
       .enabled(if: TestNamespace.unavailableReason == nil && Shell.has("conntrack"),
                "skipped: \(TestNamespace.unavailableReason ?? "needs conntrack-tools' `conntrack`")"))
struct ConntrackTests {
    /// A UDP flow from `client:sport` to `vip:port` whose reply comes from `reply`.
    static func insert(_ ns: TestNamespace, client: String, sport: Int, vip: String, port: Int, reply: String, proto: String = "udp") throws {
        try ns.runChecked(["conntrack", "-I", "-p", proto, "-s", client, "-d", vip, "--sport", "\(sport)", "--dport", "\(port)",
                           "--reply-src", reply, "--reply-dst", client, "--reply-port-src", "\(port)", "--reply-port-dst", "\(sport)", "-t", "300"]
                          + (proto == "tcp" ? ["--state", "ESTABLISHED"] : []))
    }

    static func flows(_ ns: TestNamespace, family: String = "ipv4") throws -> [String] {
        try ns.run(["conntrack", "-L", "-f", family]).output.split(separator: "\n").map(String.init).sorted()
    }

    @Test("removing an endpoint deletes only flows to that service whose replies come from it")
    func removedEndpoint() async throws {
        try await TestNamespace.with("ct") { ns in
            try Self.insert(ns, client: "10.0.0.1", sport: 1000, vip: "10.96.0.10", port: 53, reply: "10.244.0.2")
            try Self.insert(ns, client: "10.0.0.2", sport: 1001, vip: "10.96.0.10", port: 53, reply: "10.244.0.2")
            try Self.insert(ns, client: "10.0.0.3", sport: 1002, vip: "10.96.0.10", port: 53, reply: "10.244.0.3")   // other endpoint
            try Self.insert(ns, client: "10.0.0.4", sport: 1003, vip: "10.96.0.11", port: 53, reply: "10.244.0.2")   // other service
            try Self.insert(ns, client: "10.0.0.5", sport: 1004, vip: "10.96.0.10", port: 5353, reply: "10.244.0.2") // other port
            try Self.insert(ns, client: "10.0.0.6", sport: 1005, vip: "10.96.0.10", port: 53, reply: "10.244.0.2", proto: "tcp") // TCP
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            let deleted = try socket.deleteConntrack(matching: ConntrackFilter(destination: [10, 96, 0, 10], port: 53, replySource: [10, 244, 0, 2]))
            #expect(deleted == 2)
            let left = try Self.flows(ns)
            #expect(left.count == 4, "\(left)")
            #expect(!left.contains { $0.contains("src=10.0.0.1 ") || $0.contains("src=10.0.0.2 ") })
            #expect(try socket.deleteConntrack(matching: ConntrackFilter(destination: [10, 96, 0, 10], port: 53, replySource: [10, 244, 0, 2])) == 0)
        }
    }

    @Test("a service that gets its first endpoint loses the untranslated flows that were rejected before")
    func firstEndpoint() async throws {
        try await TestNamespace.with("ct") { ns in
            try Self.insert(ns, client: "10.0.0.1", sport: 2000, vip: "10.96.0.10", port: 53, reply: "10.96.0.10")
            try Self.insert(ns, client: "10.0.0.2", sport: 2001, vip: "10.96.0.10", port: 53, reply: "10.244.0.2")
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            #expect(try socket.deleteConntrack(matching: ConntrackFilter(destination: [10, 96, 0, 10], port: 53, replySource: [10, 96, 0, 10])) == 1)
            #expect(try Self.flows(ns).count == 1)
        }
    }

    @Test("many filters share one dump and delete exactly what one dump per filter deletes")
    func manyFiltersOneDump() async throws {
        try await TestNamespace.with("ct") { ns in
            // Ten services: five with a removed endpoint's flow, five with an untranslated one, and
            // for each a flow that must stay (another endpoint, another port, TCP).
            for index in 0..<10 {
                let vip = "10.96.1.\(index)"
                let reply = index < 5 ? "10.244.1.\(index)" : vip
                try Self.insert(ns, client: "10.0.1.\(index)", sport: 4000 + index, vip: vip, port: 53, reply: reply)
                try Self.insert(ns, client: "10.0.2.\(index)", sport: 4000 + index, vip: vip, port: 53, reply: "10.244.2.\(index)")
                try Self.insert(ns, client: "10.0.3.\(index)", sport: 4000 + index, vip: vip, port: 5353, reply: reply)
                try Self.insert(ns, client: "10.0.4.\(index)", sport: 4000 + index, vip: vip, port: 53, reply: reply, proto: "tcp")
            }
            let filters = (0..<10).map { index -> ConntrackFilter in
                let vip: [UInt8] = [10, 96, 1, UInt8(index)]
                return ConntrackFilter(destination: vip, port: 53, replySource: index < 5 ? [10, 244, 1, UInt8(index)] : vip)
            }
            #expect(filters.count > NetfilterSocket.filtersPerDumpLimit, "the batched path is the one under test")
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            #expect(try socket.deleteConntrack(matchingAny: filters) == 10)
            let left = try Self.flows(ns)
            #expect(left.count == 30, "\(left)")
            #expect(!left.contains { $0.contains("src=10.0.1.") }, "\(left)")
            #expect(try socket.deleteConntrack(matchingAny: filters) == 0)
        }
    }

    @Test("the namespace's entry count is read without a dump, and an empty namespace is not dumped")
    func entryCount() async throws {
        try await TestNamespace.with("ct") { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            #expect(try socket.conntrackEntryCount() == 0)
            let filters = [ConntrackFilter(destination: [10, 96, 0, 10], port: 53), ConntrackFilter(destination: [10, 96, 0, 11], port: 53)]
            #expect(try socket.deleteConntrack(matchingAny: filters) == 0)
            try Self.insert(ns, client: "10.0.0.1", sport: 3000, vip: "10.96.0.10", port: 53, reply: "10.96.0.10")
            try Self.insert(ns, client: "10.0.0.2", sport: 3001, vip: "10.96.0.12", port: 53, reply: "10.244.0.2")
            #expect(try socket.conntrackEntryCount() == 2, "entries of this namespace only")
            #expect(try socket.deleteConntrack(matchingAny: filters) == 1)
            #expect(try socket.conntrackEntryCount() == 1)
        }
    }

    @Test("IPv6 flows are matched too")
    func ipv6() async throws {
        try await TestNamespace.with("ct") { ns in
            try Self.insert(ns, client: "fd00::1", sport: 3000, vip: "fd00:10:96::a", port: 53, reply: "fd00:10:244::2")
            try Self.insert(ns, client: "fd00::2", sport: 3001, vip: "fd00:10:96::a", port: 53, reply: "fd00:10:244::3")
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            let vip: [UInt8] = [0xfd, 0, 0, 0x10, 0, 0x96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a]
            let endpoint: [UInt8] = [0xfd, 0, 0, 0x10, 0x02, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02]
            #expect(try socket.deleteConntrack(matching: ConntrackFilter(destination: vip, port: 53, replySource: endpoint)) == 1)
            #expect(try Self.flows(ns, family: "ipv6").count == 1)
        }
    }
}
