import SwitchyardModel

/// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
/// Balancer", NSDI 2016, §3.4), as IPVS `mh` and Cilium use it.
///
/// Each backend has a preference list over the M slots of the lookup table (M prime): the permutation
/// `(offset + j·skip) mod M` with `offset = h1(key) mod M` and `skip = h2(key) mod (M−1) + 1`, from two
/// independent hashes of the backend's key. Backends take turns claiming their next preferred free slot
/// until the table is full, so every backend ends up with ⌊M/N⌋ or ⌈M/N⌉ slots, and removing a backend
/// mostly frees only its own slots. Deterministic: the result depends only on the keys (their set and
/// order) and M, never on the process or host.
public enum Maglev {
    /// The lookup table for endpoints: slot → index into `endpoints`. An endpoint's key is its address
    /// in network byte order followed by its port as two big-endian bytes (as IPVS `mh` hashes
    /// address and port), so the table depends only on `ip:port`.
    public static func table(for endpoints: [EndpointAddress], size: Int) -> [Int] {
        table(
            permutations: endpoints.map { endpoint in
                (Hashing.hash64(endpoint, seed: offsetSeed), Hashing.hash64(endpoint, seed: skipSeed))
            },
            size: size
        )
    }

    /// The lookup table for backends named by strings (their UTF-8 bytes are the key).
    public static func table(for names: [String], size: Int) -> [Int] {
        table(
            permutations: names.map { name in
                (Hashing.hash64(name.utf8, seed: offsetSeed), Hashing.hash64(name.utf8, seed: skipSeed))
            },
            size: size
        )
    }

    /// Seeds of the two hashes (offset and skip); fixed so tables are stable across runs and hosts.
    static let offsetSeed: UInt64 = 0x6d61_676c_6576_3031  // "maglev01"
    static let skipSeed: UInt64 = 0x6d61_676c_6576_3032  // "maglev02"

    /// Population from the two hashes of each backend. Empty when there are no backends or `size` < 1.
    /// `size` should be a prime (``MaglevSizing/tableSize(for:)``); with another size some permutations
    /// cycle before reaching every slot, so a backend that finds its cycle full probes linearly.
    private static func table(permutations hashes: [(UInt64, UInt64)], size: Int) -> [Int] {
        guard !hashes.isEmpty, size >= 1 else { return [] }
        if size == 1 { return [0] }
        let m = UInt64(size)
        // position[b] is backend b's current entry of its permutation, (offset + j·skip) mod M, advanced
        // by adding skip (no division in the loop); steps[b] counts entries tried (for non-prime sizes).
        var position = hashes.map { $0.0 % m }
        let skips = hashes.map { $0.1 % (m - 1) + 1 }
        var steps = [Int](repeating: 0, count: hashes.count)
        var table = [Int](repeating: -1, count: size)
        var filled = 0
        while true {
            for backend in hashes.indices {
                var candidate = position[backend]
                while table[Int(candidate)] >= 0 {
                    steps[backend] += 1
                    if steps[backend] % size == 0 {
                        // A non-prime size made the permutation cycle: step past the cycle's start.
                        candidate = candidate + 1 == m ? 0 : candidate + 1
                    } else {
                        candidate += skips[backend]
                        if candidate >= m { candidate -= m }
                    }
                }
                table[Int(candidate)] = backend
                steps[backend] += 1
                candidate += skips[backend]
                position[backend] = candidate >= m ? candidate - m : candidate
                filled += 1
                if filled == size { return table }
            }
        }
    }
}

/// Small, fixed, well-mixed hashes (no per-process seed, unlike `Hasher`): tables must be identical
/// in every process and on every node.
enum Hashing {
    /// FNV-1a over the bytes with the seed folded into the basis, finished with the SplitMix64 mixer.
    static func hash64(_ bytes: some Sequence<UInt8>, seed: UInt64) -> UInt64 {
        var h = basis(seed)
        for byte in bytes { h = step(h, byte) }
        return mix(h)
    }

    /// The same hash over an endpoint's key: address bytes in network order, then the port big-endian.
    static func hash64(_ endpoint: EndpointAddress, seed: UInt64) -> UInt64 {
        var h = basis(seed)
        switch endpoint.ip {
        case .v4(let a):
            h = step(h, a.value, bytes: 4)
        case .v6(let a):
            h = step(h, a.high, bytes: 8)
            h = step(h, a.low, bytes: 8)
        }
        h = step(h, UInt64(truncatingIfNeeded: endpoint.port), bytes: 2)
        return mix(h)
    }

    private static func basis(_ seed: UInt64) -> UInt64 { 0xcbf2_9ce4_8422_2325 ^ mix(seed) }

    private static func step(_ h: UInt64, _ byte: UInt8) -> UInt64 {
        (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// Feeds the low `bytes` bytes of `value`, most significant first.
    private static func step(_ h: UInt64, _ value: some FixedWidthInteger, bytes: Int) -> UInt64 {
        var h = h
        for index in stride(from: bytes - 1, through: 0, by: -1) {
            h = step(h, UInt8(truncatingIfNeeded: value >> (index * 8)))
        }
        return h
    }

    /// SplitMix64's finaliser (Steele, Lea, Flood 2014).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
