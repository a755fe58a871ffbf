/// Prime search for Maglev table sizes (tables are at most 2^24 slots, so trial division is cheap).
enum Primes {
    static func isPrime(_ n: Int) -> Bool {
        guard n >= 2 else { return false }
        if n < 4 { return true }
        if n % 2 == 0 || n % 3 == 0 { return false }
        var d = 5
        while d * d <= n {
            if n % d == 0 || n % (d + 2) == 0 { return false }
            d += 6
        }
        return true
    }

    /// The smallest prime ≥ n (2 for n ≤ 2).
    static func smallest(atLeast n: Int) -> Int {
        var candidate = max(n, 2)
        while !isPrime(candidate) { candidate += 1 }
        return candidate
    }

    /// The largest prime ≤ n, nil below 2.
    static func largest(atMost n: Int) -> Int? {
        var candidate = n
        while candidate >= 2 {
            if isPrime(candidate) { return candidate }
            candidate -= 1
        }
        return nil
    }
}
