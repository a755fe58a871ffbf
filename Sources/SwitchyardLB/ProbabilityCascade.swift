/// The `chains` model: iptables mode's `statistic random` cascade. Rule i (0-based) of n takes the flow
/// with probability 1/(n−i) if no earlier rule took it; the last rule (i = n−1) takes whatever is left.
/// Each endpoint thus gets 1/n overall. In nftables the same test is `numgen random mod (n−i) == 0`.
public enum ProbabilityCascade {
    /// 1/(n−i) for rule `index` of `count`, 1 for the last rule; nil outside 0..<count.
    public static func probability(index: Int, of count: Int) -> Double? {
        guard count > 0, (0..<count).contains(index) else { return nil }
        return 1 / Double(count - index)
    }

    /// The modulus of rule `index` of `count` in the nft form (`numgen random mod (n−i) == 0`); nil
    /// for the last rule, which needs no test.
    public static func modulus(index: Int, of count: Int) -> Int? {
        guard count > 0, (0..<(count - 1)).contains(index) else { return nil }
        return count - index
    }

    /// The probabilities of the n−1 tested rules.
    public static func probabilities(count: Int) -> [Double] {
        count > 1 ? (0..<(count - 1)).map { 1 / Double(count - $0) } : []
    }

    /// The text iptables mode prints for rule `index` of `count`: Go's `%0.10f` of 1/(n−i), e.g.
    /// `0.5000000000`; nil for the last rule, which carries no `--probability`.
    public static func text(index: Int, of count: Int) -> String? {
        guard let modulus = modulus(index: index, of: count) else { return nil }
        return format(1 / Double(modulus))
    }

    /// `%0.10f` of a non-negative double: the exact binary value rounded half to even at 10 decimals,
    /// as Go's fmt and C's printf do.
    public static func format(_ value: Double, decimals: Int = 10) -> String {
        precondition(value >= 0 && value.isFinite && decimals >= 0 && decimals <= 18, "format: \(value)")
        var scale: UInt128 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = roundedScaled(value, scale: scale)
        let integer = scaled / scale
        let fraction = scaled % scale
        guard decimals > 0 else { return "\(integer)" }
        let digits = String(fraction)
        return "\(integer)." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    /// round_half_even(value × scale) computed exactly from the double's significand and exponent.
    private static func roundedScaled(_ value: Double, scale: UInt128) -> UInt128 {
        guard value.isNormal else { return 0 }  // zero or subnormal (< 2^-1022): 0 at ≤ 18 decimals
        // value = significand · 2^exponent, significand an integer < 2^53.
        let significand = UInt128(value.significandBitPattern | 1 << 52)
        let exponent = Int(value.exponent) - 52
        if exponent >= 0 { return (significand << UInt128(exponent)) * scale }
        let shift = -exponent
        let product = significand * scale  // < 2^53 · 10^18 < 2^113
        guard shift < 127 else { return 0 }  // below 2^-74: rounds to 0 at ≤ 18 decimals
        let quotient = product >> UInt128(shift)
        let remainder = product & ((UInt128(1) << UInt128(shift)) - 1)
        let half = UInt128(1) << UInt128(shift - 1)
        if remainder > half || (remainder == half && quotient & 1 == 1) { return quotient + 1 }
        return quotient
    }
}
