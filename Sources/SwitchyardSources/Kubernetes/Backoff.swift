/// Jittered exponential backoff between retries: each delay doubles up to `maximum`, and is drawn
/// uniformly from its upper half so that many nodes restarting together spread out.
struct Backoff: Sendable {
    var initial: Duration
    var maximum: Duration
    private var current: Duration?

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The next delay; advances the exponent.
    mutating func next() -> Duration {
        let base = current.map { min($0 * 2, maximum) } ?? initial
        current = base
        let fraction = Double.random(in: 0.5...1.0)
        return base * fraction
    }

    /// After a success the next failure waits `initial` again.
    mutating func reset() { current = nil }
}
