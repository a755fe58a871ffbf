import Synchronization

/// Moves a value into another task without a second reference to it staying behind: a value
/// captured by the task's closure stays referenced by the closure, so the task's first mutation of a
/// large copy-on-write value (the sync's compiler state) would copy it whole. Taken exactly once.
final class Handoff<Value: Sendable>: Sendable {
    private let slot: Mutex<Value?>

    init(_ value: consuming sending Value) {
        slot = Mutex(value)
    }

    /// The value, leaving nothing behind.
    func take() -> Value {
        guard let value = slot.withLock({ $0.take() }) else { preconditionFailure("Handoff taken twice") }
        return value
    }
}
