import SwitchyardLB
import SwitchyardModel
import Testing

/// Statistics: every table model spreads simulated flows evenly; the cascade multiplies out to 1/n.
@Suite("Dispatch statistics")
struct DispatchStatisticsTests {
    static let flows = 100_000
    static let counts = [1, 2, 3, 7, 10, 32]

    static func endpoints(_ n: Int) -> [EndpointAddress] {
        (0..<n).map { EndpointAddress(ip: Fixture.ip("10.244.\($0 / 250).\($0 % 250 + 1)"), port: 8080) }
    }

    /// Runs `flows` flows through a table; `pick` gives the slot of flow k. Returns hits per endpoint.
    static func simulate(_ table: DispatchTable, endpoints n: Int, pick: (Int) -> Int) -> [Int] {
        var hits = [Int](repeating: 0, count: n)
        for flow in 0..<flows { hits[table.slots[pick(flow)]] += 1 }
        return hits
    }

    /// Largest relative deviation from the mean share.
    static func maxDeviation(_ hits: [Int]) -> Double {
        let mean = Double(hits.reduce(0, +)) / Double(hits.count)
        return hits.map { abs(Double($0) - mean) / mean }.max() ?? 0
    }

    @Test("random: numgen random mod N spreads evenly", arguments: counts)
    func random(n: Int) {
        let table = DispatchTables.table(for: Self.endpoints(n), model: .random)
        var rng = SeededGenerator(seed: 42)
        let hits = Self.simulate(table, endpoints: n) { _ in Int(rng.next() % UInt64(table.size)) }
        // 32 endpoints: ~3,125 flows each, σ ≈ 1.8%; 6σ tolerance.
        #expect(Self.maxDeviation(hits) < 0.11, "hits \(hits)")
    }

    @Test("roundrobin: numgen inc mod N is exact to one flow", arguments: counts)
    func roundrobin(n: Int) {
        let table = DispatchTables.table(for: Self.endpoints(n), model: .roundrobin)
        let hits = Self.simulate(table, endpoints: n) { $0 % table.size }
        #expect((hits.max() ?? 0) - (hits.min() ?? 0) <= 1, "hits \(hits)")
    }

    @Test("sourcehash: jhash of random client addresses mod N spreads evenly", arguments: counts)
    func sourcehash(n: Int) {
        let table = DispatchTables.table(for: Self.endpoints(n), model: .sourcehash)
        var rng = SeededGenerator(seed: 7)
        let hits = Self.simulate(table, endpoints: n) { _ in
            JHash.slot(source: UInt32(truncatingIfNeeded: rng.next()), modulus: table.size)
        }
        #expect(Self.maxDeviation(hits) < 0.11, "hits \(hits)")
    }

    @Test("maglev: jhash of random client addresses into the Maglev table spreads evenly", arguments: counts)
    func maglev(n: Int) {
        let table = DispatchTables.table(for: Self.endpoints(n), model: .maglev)
        var rng = SeededGenerator(seed: 9)
        let hits = Self.simulate(table, endpoints: n) { _ in
            JHash.slot(source: UInt32(truncatingIfNeeded: rng.next()), modulus: table.size)
        }
        // Slot shares differ by at most one slot in M/N ≥ 8 (12.5%), plus sampling noise.
        #expect(Self.maxDeviation(hits) < 0.17, "hits \(hits)")
    }

    @Test("chains: the cascade multiplies out to 1/n for every endpoint", arguments: Array(1...20))
    func cascadeProbabilities(n: Int) throws {
        var remaining = 1.0
        for index in 0..<n {
            let p = try #require(ProbabilityCascade.probability(index: index, of: n))
            #expect(abs(remaining * p - 1 / Double(n)) < 1e-12, "endpoint \(index) of \(n)")
            remaining *= 1 - p
        }
        #expect(abs(remaining) < 1e-12)
        #expect(ProbabilityCascade.probabilities(count: n).count == n - 1)
        #expect(ProbabilityCascade.text(index: n - 1, of: n) == nil)
    }

    @Test("chains: simulated cascade of numgen random mod (n−i) spreads evenly", arguments: counts)
    func cascadeSimulation(n: Int) {
        var rng = SeededGenerator(seed: 3)
        var hits = [Int](repeating: 0, count: n)
        for _ in 0..<Self.flows {
            var chosen = n - 1
            for index in 0..<(n - 1) {
                if let modulus = ProbabilityCascade.modulus(index: index, of: n), rng.next() % UInt64(modulus) == 0 {
                    chosen = index
                    break
                }
            }
            hits[chosen] += 1
        }
        #expect(Self.maxDeviation(hits) < 0.11, "hits \(hits)")
    }

    @Test("chains: probabilities print as kube-proxy's %0.10f", arguments: zip(
        [(0, 2), (0, 3), (1, 3), (0, 7), (1, 7), (0, 6), (0, 1000), (0, 9)] as [(Int, Int)],
        ["0.5000000000", "0.3333333333", "0.5000000000", "0.1428571429", "0.1666666667", "0.1666666667",
         "0.0010000000", "0.1111111111"]
    ))
    func cascadeText(rule: (Int, Int), expected: String) {
        #expect(ProbabilityCascade.text(index: rule.0, of: rule.1) == expected)
    }

    @Test("%0.10f rounds the exact binary value half to even", arguments: zip(
        [1.0 / 2048, 0.25, 1.0, 2.5, 0.00000000005, 0.00000000015, 0.0],
        ["0.0004882812", "0.2500000000", "1.0000000000", "2.5000000000", "0.0000000001", "0.0000000001", "0.0000000000"]
    ))
    func formatting(value: Double, expected: String) {
        #expect(ProbabilityCascade.format(value) == expected)
    }
}
