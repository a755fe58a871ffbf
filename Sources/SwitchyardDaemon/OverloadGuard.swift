/// Decides when node-local DNS is overloaded, from how long its queries wait to be read
/// (``ServedSocket/lag()``): withdrawn after `withdrawAfter` consecutive samples at or above
/// `withdrawAt`, restored after `restoreAfter` consecutive samples below `restoreBelow`. Hysteresis
/// keeps one slow moment from flapping the rules' choice. A value; the owner feeds it samples.
struct OverloadGuard: Sendable, Hashable {
    enum Change: Sendable, Hashable {
        case withdraw, restore
    }

    var withdrawAt: Duration = .milliseconds(250)
    var withdrawAfter = 3
    var restoreBelow: Duration = .milliseconds(20)
    var restoreAfter = 10

    private(set) var isWithdrawn = false
    private var streak = 0

    /// Takes one delay; returns the change to make now, if any.
    mutating func sample(_ delay: Duration) -> Change? {
        let counts = isWithdrawn ? delay < restoreBelow : delay >= withdrawAt
        streak = counts ? streak + 1 : 0
        guard streak >= (isWithdrawn ? restoreAfter : withdrawAfter) else { return nil }
        streak = 0
        isWithdrawn.toggle()
        return isWithdrawn ? .withdraw : .restore
    }
}
