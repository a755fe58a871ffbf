import SwitchyardLB
import Testing

/// Maglev properties: determinism, balance, and minimal disruption.
@Suite("Maglev")
struct MaglevTests {
    /// N endpoints (the key Maglev hashes in plans is the endpoint's address and port).
    static func endpoints(_ n: Int) -> [EndpointAddress] {
        (0..<n).map { EndpointAddress(ip: Fixture.ip("10.244.\($0 / 250).\($0 % 250 + 1)"), port: 8080) }
    }
    static let counts = [2, 3, 5, 10, 20, 50, 100]

    /// The backend name in each slot.
    static func owners(_ backends: [EndpointAddress], size: Int) -> [EndpointAddress] {
        Maglev.table(for: backends, size: size).map { backends[$0] }
    }

    @Test("same input, same table", arguments: counts)
    func deterministic(n: Int) {
        let size = MaglevSizing.default.tableSize(for: n)
        #expect(Maglev.table(for: Self.endpoints(n), size: size) == Maglev.table(for: Self.endpoints(n), size: size))
        #expect(Maglev.table(for: Self.endpoints(n), size: size).count == size)
    }

    @Test("every backend gets ⌊M/N⌋ or ⌈M/N⌉ slots", arguments: counts)
    func balanced(n: Int) {
        let size = MaglevSizing.default.tableSize(for: n)
        var shares = [Int](repeating: 0, count: n)
        for backend in Maglev.table(for: Self.endpoints(n), size: size) { shares[backend] += 1 }
        #expect(shares.allSatisfy { $0 == size / n || $0 == size / n + 1 }, "M \(size) shares \(shares)")
    }

    /// Fraction of slots whose backend differs between two tables of the same size.
    static func movedFraction(_ a: [EndpointAddress], _ b: [EndpointAddress]) -> Double {
        Double(zip(a, b).filter { $0 != $1 }.count) / Double(a.count)
    }

    @Test("removing one of N backends moves about 1/N of the table; adding it back restores it",
          arguments: [3, 5, 10, 20, 50, 100])
    func disruption(n: Int) {
        let all = Self.endpoints(n)
        let sizing = MaglevSizing.default
        let size = sizing.tableSize(for: n)
        // The size ladder keeps M when N changes by one (away from a rung), so slots compare one to one.
        #expect(sizing.tableSize(for: n - 1) == size)
        let before = Self.owners(all, size: size)
        var total = 0.0
        for removed in all.indices {
            var fewer = all
            fewer.remove(at: removed)
            let after = Self.owners(fewer, size: size)
            let moved = Self.movedFraction(before, after)
            total += moved
            // The removed backend's slots must move; the others' flows mostly stay put. Modulo hashing
            // would move (N−1)/N of them instead.
            #expect(!after.contains(all[removed]))
            #expect(moved >= 1 / Double(n) - 1 / Double(size), "n \(n) removed \(removed)")
            #expect(moved <= 1 / Double(n) + 0.3, "n \(n) removed \(removed): moved \(moved)")
            // Adding it back: the same slots move back and the table is the original again.
            let restored = Self.owners(fewer + [all[removed]], size: size)
            #expect(Self.movedFraction(after, Self.owners(all, size: size)) == moved)
            #expect(Set(restored) == Set(all))
        }
        let mean = total / Double(n)
        #expect(mean <= 1 / Double(n) + 0.15, "n \(n): mean moved \(mean)")
    }

    @Test("adding a backend takes about M/N slots and moves about 1/N of the table", arguments: [4, 9, 19, 49, 99])
    func addition(n: Int) {
        let size = MaglevSizing.default.tableSize(for: n + 1)
        let before = Self.owners(Self.endpoints(n), size: size)
        let after = Self.owners(Self.endpoints(n + 1), size: size)
        let newcomer = Self.endpoints(n + 1)[n]
        let taken = after.filter { $0 == newcomer }.count
        #expect(taken == size / (n + 1) || taken == size / (n + 1) + 1)
        #expect(Self.movedFraction(before, after) <= 1 / Double(n + 1) + 0.3)
    }

    @Test("table size: smallest ladder prime ≥ 8·N, at least 31, at most 65,521", arguments: zip(
        [0, 1, 3, 4, 5, 10, 15, 16, 100, 250, 10_000],
        [0, 31, 31, 61, 61, 127, 127, 251, 1021, 2039, 65521]
    ))
    func tableSize(n: Int, expected: Int) {
        #expect(MaglevSizing.default.tableSize(for: n) == expected)
    }

    @Test("the size ladder is all primes, each the largest below its power of two")
    func ladder() {
        func isPrime(_ n: Int) -> Bool {
            guard n >= 2 else { return false }
            var d = 2
            while d * d <= n {
                if n % d == 0 { return false }
                d += 1
            }
            return true
        }
        for (index, size) in MaglevSizing.ladder.prefix(12).enumerated() {
            let power = 1 << (index + 5)
            #expect(isPrime(size) && size < power, "\(size)")
            #expect(!(size + 1..<power).contains(where: isPrime), "\(size)")
        }
    }

    @Test("a fixed size: minimum = maximum gives one M for every endpoint count")
    func fixedSize() {
        let fixed = MaglevSizing(slotsPerEndpoint: 8, minimumSize: 16381, maximumSize: 16381)
        #expect([1, 10, 5000].map(fixed.tableSize(for:)) == [16381, 16381, 16381])
    }

    @Test("backends named by strings: deterministic and balanced too")
    func stringKeys() {
        let names = (1...10).map { "backend-\($0)" }
        let table = Maglev.table(for: names, size: 127)
        #expect(table == Maglev.table(for: names, size: 127))
        let shares = Dictionary(grouping: table, by: { $0 }).mapValues(\.count)
        #expect(shares.count == 10 && shares.values.allSatisfy { $0 == 12 || $0 == 13 })
    }

    @Test("IPv6 endpoints and ports are part of the key")
    func keys() {
        let v6 = [EndpointAddress(ip: Fixture.ip("fd00::1"), port: 80), EndpointAddress(ip: Fixture.ip("fd00::1"), port: 81)]
        let table = Maglev.table(for: v6, size: 31)
        #expect(Set(table) == [0, 1])
        let other = [EndpointAddress(ip: Fixture.ip("fd00::1"), port: 80), EndpointAddress(ip: Fixture.ip("fd00::2"), port: 81)]
        #expect(Maglev.table(for: other, size: 31) != table)
    }

    @Test("a non-prime size still fills every slot")
    func nonPrime() {
        let table = Maglev.table(for: Self.endpoints(3), size: 12)
        #expect(table.count == 12 && !table.contains(-1))
    }
}
