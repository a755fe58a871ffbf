/// The slim copy of a Namespace: DNS needs to know it exists.
public struct Namespace: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels
    }

    public var key: ObjectKey { ObjectKey(namespace: "", name: name) }
}
