import Testing
@testable import SwitchyardNFT

@Suite("Packet tracer")
struct TracerTests {
    let client = Address("192.168.1.50")!
    let pod = Address("10.244.3.3")!

    @Test("a ClusterIP reaches one of its two endpoints")
    func clusterIP() throws {
        let fake = try Fixture.fake()
        let outcomes = fake.outcomes(of: Packet(from: pod, to: Fixture.vip, port: 80), in: Fixture.environment)
        #expect(outcomes == [
            .accepted(Delivery(address: Fixture.podA, port: 8080, masqueraded: false, local: false)),
            .accepted(Delivery(address: Fixture.podB, port: 8080, masqueraded: false, local: false)),
        ])
    }

    @Test("an off-cluster client is masqueraded by mark")
    func masquerade() throws {
        let fake = try Fixture.fake()
        let outcomes = fake.outcomes(of: Packet(from: client, to: Fixture.vip, port: 80), in: Fixture.environment)
        #expect(outcomes.allSatisfy { $0.delivery?.masqueraded == true })
        #expect(outcomes.count == 2)
    }

    @Test("an unserved port of the ClusterIP is rejected with a TCP reset")
    func unservedPort() throws {
        let fake = try Fixture.fake()
        #expect(fake.outcomes(of: Packet(from: pod, to: Fixture.vip, port: 81), in: Fixture.environment) == [.rejected(.tcpReset)])
        #expect(fake.outcomes(of: Packet(from: pod, to: Fixture.vip, port: 81, proto: .udp), in: Fixture.environment) == [.rejected(.portUnreachable)])
    }

    @Test("traffic to other addresses is untouched")
    func untouched() throws {
        let fake = try Fixture.fake()
        let other = Address("8.8.8.8")!
        #expect(fake.outcomes(of: Packet(from: pod, to: other, port: 53, proto: .udp), in: Fixture.environment)
            == [.accepted(Delivery(address: other, port: 53, masqueraded: false, local: false))])
    }

    @Test("a local process goes through nat output")
    func localProcess() throws {
        let fake = try Fixture.fake()
        let outcomes = fake.outcomes(of: Packet(from: Fixture.node, to: Fixture.vip, port: 80, origin: .localProcess), in: Fixture.environment)
        #expect(Swift.Set(outcomes.compactMap(\.delivery?.address)) == [Fixture.podA, Fixture.podB])
    }

    @Test("seeded traces spread evenly over the slots")
    func seeded() throws {
        var fake = try Fixture.fake()
        var hits: [Address: Int] = [:]
        for port in 0..<2000 {
            let trace = fake.trace(Packet(from: pod, sourcePort: UInt16(20000 + port), to: Fixture.vip, port: 80), in: Fixture.environment)
            if let address = trace.outcome.delivery?.address { hits[address, default: 0] += 1 }
        }
        #expect(hits.count == 2)
        #expect(hits.values.allSatisfy { abs($0 - 1000) < 150 })
    }

    @Test("jhash picks the same slot for the same input; numgen inc goes round")
    func hashAndRoundRobin() throws {
        let table = Fixture.table
        for (selector, distinct) in [(Expression.jhash(.payload(.ipSaddr), modulus: 2, seed: 7), 1), (.numgen(.inc, modulus: 2), 2)] {
            var fake = try Fixture.fake()
            var tx = Transaction()
            try tx.flush(.chain(Chain(table, "services")))
            try tx.add(.rule(Rule(table, "services", [
                .inSet(Fixture.frontendKey, "mod-2"),
                .dnat(.map(.concat([.payload(.ipDaddr), .meta(.l4proto), .payload(.thDport), selector]), map: "service-slots"), family: nil),
            ])))
            try fake.apply(tx)
            var seen = Swift.Set<Address>()
            for port in 0..<10 {
                if let address = fake.trace(Packet(from: pod, sourcePort: UInt16(30000 + port), to: Fixture.vip, port: 80), in: Fixture.environment).outcome.delivery?.address {
                    seen.insert(address)
                }
            }
            #expect(seen.count == distinct, "\(selector)")
            #expect(fake.outcomes(of: Packet(from: pod, to: Fixture.vip, port: 80), in: Fixture.environment).count == 2)
        }
    }

    @Test("a dynamic map remembers the client until its timeout")
    func affinity() throws {
        let table = Fixture.table
        var fake = try Fixture.fake()
        var tx = Transaction()
        try tx.add(.set(NamedSet(table, "affinity", key: .typeOf([.payload(.ipSaddr), .payload(.ipDaddr)]),
                                 data: .data(.typeOf([.payload(.ipDaddr), .payload(.tcpDport)])), flags: [.dynamic, .timeout], timeout: 60)))
        try tx.flush(.chain(Chain(table, "services")))
        try tx.add(.rule(Rule(table, "services", [.dnat(.map(.concat([.payload(.ipSaddr), .payload(.ipDaddr)]), map: "affinity"), family: nil)])))
        try tx.add(.rule(Rule(table, "services", [
            .inSet(Fixture.frontendKey, "mod-2"),
            .setUpdate(.update, set: "affinity", key: .concat([.payload(.ipSaddr), .payload(.ipDaddr)]), timeout: nil,
                       data: .concat([.value(.address(Fixture.podB)), .value(.port(8080))])),
            .l4proto(.tcp),
            .dnat(.address(Fixture.podB, port: 8080), family: nil),
        ])))
        try fake.apply(tx)
        var environment = Fixture.environment
        let packet = Packet(from: pod, to: Fixture.vip, port: 80)
        #expect(fake.trace(packet, in: environment).outcome.delivery?.address == Fixture.podB)
        #expect(fake.ruleset.set(table, "affinity")?.elements.count == 1)
        // Within the timeout the first rule answers from the map.
        environment.now = 59
        let trace = fake.trace(packet, in: environment)
        #expect(trace.path.contains { $0.contains("map @affinity") } && !trace.path.contains { $0.contains("update @affinity") }, "\(trace)")
        // After it, the entry is gone and the second rule chooses again.
        environment.now = 200
        let later = fake.trace(packet, in: environment)
        #expect(later.path.contains { $0.contains("update @affinity") }, "\(later)")
    }

    @Test("drop verdicts and drop policies drop")
    func drops() throws {
        let table = Fixture.table
        var fake = try Fixture.fake()
        var tx = Transaction()
        try tx.add(.chain(Chain(table, "filter-input", base: BaseChainSpec(type: .filter, hook: .input, priority: .filter, policy: .drop))))
        try tx.add(.rule(Rule(table, "filter-input", [.match(.payload(.thDport), .equal, .value(.port(22))), .verdict(.accept)])))
        try fake.apply(tx)
        #expect(fake.outcomes(of: Packet(from: client, to: Fixture.node, port: 22), in: Fixture.environment)
            == [.accepted(Delivery(address: Fixture.node, port: 22, masqueraded: false, local: true))])
        #expect(fake.outcomes(of: Packet(from: client, to: Fixture.node, port: 23), in: Fixture.environment) == [.dropped])
    }
}
