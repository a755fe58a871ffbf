/// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
/// Balancer", NSDI 2016, §3.4), as IPVS `mh` and Cilium use it.
///
/// Each backend has a preference list over the M slots of the lookup table (M prime): a permutation
/// `(offset + j·skip) mod M` with `offset = h1(name) mod M` and `skip = h2(name) mod (M−1) + 1`, from
/// two independent hashes of the backend's name. Backends take turns claiming their next preferred
/// free slot until the table is full, so every backend ends up with ⌊M/N⌋ or ⌈M/N⌉ slots, and removing
/// a backend mostly frees only its own slots. Deterministic: the result depends only on the names
/// (their set and order) and M.
public enum Maglev {
    /// The lookup table: slot → index into `backends`. Empty when `backends` is empty or `size` < 1.
    /// `size` should be a prime larger than the backend count (``MaglevSizing/tableSize(for:)``);
    /// with a non-prime size some permutations would not reach every slot, so this still terminates by
    /// falling back to a linear probe.
    public static func table(for backends: [String], size: Int) -> [Int] {
        guard !backends.isEmpty, size >= 1 else { return [] }
        if size == 1 { return [0] }
        let m = UInt64(size)
        let permutations = backends.map { name -> (offset: UInt64, skip: UInt64) in
            let bytes = Array(name.utf8)
            let offset = Hashing.hash64(bytes, seed: offsetSeed) % m
            let skip = Hashing.hash64(bytes, seed: skipSeed) % (m - 1) + 1
            return (offset, skip)
        }
        var next = [UInt64](repeating: 0, count: backends.count)
        var table = [Int](repeating: -1, count: size)
        var filled = 0
        while true {
            for backend in backends.indices {
                var candidate = slot(permutations[backend], next[backend], m)
                var probes = 0
                while table[Int(candidate)] >= 0 {
                    next[backend] += 1
                    probes += 1
                    candidate = probes < size
                        ? slot(permutations[backend], next[backend], m)
                        : (candidate + 1) % m  // only for non-prime sizes whose permutation cycles early
                }
                table[Int(candidate)] = backend
                next[backend] += 1
                filled += 1
                if filled == size { return table }
            }
        }
    }

    /// Seeds of the two hashes (offset and skip); fixed so tables are stable across runs and hosts.
    static let offsetSeed: UInt64 = 0x6d61_676c_6576_3031  // "maglev01"
    static let skipSeed: UInt64 = 0x6d61_676c_6576_3032  // "maglev02"

    private static func slot(_ permutation: (offset: UInt64, skip: UInt64), _ j: UInt64, _ m: UInt64) -> UInt64 {
        (permutation.offset &+ (j % m) &* permutation.skip) % m
    }
}

/// Small, fixed, well-mixed hashes (no per-process seed, unlike `Hasher`): tables must be identical
/// in every process and on every node.
enum Hashing {
    /// FNV-1a over the bytes with the seed folded into the basis, finished with the SplitMix64 mixer.
    static func hash64(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ mix(seed)
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return mix(h)
    }

    /// SplitMix64's finaliser (Steele, Lea, Flood 2014).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
