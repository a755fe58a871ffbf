/// One thing wrong with one object: the field path inside the object and what is wrong with it.
public struct ObjectProblem: Sendable, Hashable, CustomStringConvertible {
    /// A path such as `spec.ports[0].port` or `metadata.labels["app"]`; empty for the whole object.
    public var field: String
    /// What is wrong with the field.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message` (just the message when there is no field).
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Collects problems while one object is converted and validated.
struct ProblemLog {
    private(set) var problems: [ObjectProblem] = []

    mutating func add(_ field: String, _ message: String) {
        problems.append(ObjectProblem(field: field, message: message))
    }

    var isEmpty: Bool { problems.isEmpty }
}
