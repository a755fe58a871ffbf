/// One problem in a set of manifests, with where it is: file, document, object and field.
///
/// Rendered as `examples/bad.yaml: document 3 (Service default/web): spec.ports[0].port: 70000 is out
/// of range 1-65535`; a YAML syntax error as `examples/bad.yaml: line 12, column 3: …`.
public struct ManifestProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file as given (or found under a given directory).
    public var file: String
    /// 1-based index of the YAML document in the file; nil for problems of the file itself.
    public var document: Int?
    /// 1-based line, for syntax errors.
    public var line: Int?
    /// 1-based column, for syntax errors.
    public var column: Int?
    /// The object, e.g. `Service default/web`; nil when unknown.
    public var object: String?
    /// The field path inside the document, e.g. `spec.ports[0].port` or `items[2].spec.clusterIP`.
    public var field: String?
    /// What is wrong, e.g. `70000 is out of range 1-65535`.
    public var message: String

    public init(
        file: String, document: Int? = nil, line: Int? = nil, column: Int? = nil, object: String? = nil,
        field: String? = nil, message: String
    ) {
        self.file = file
        self.document = document
        self.line = line
        self.column = column
        self.object = object
        self.field = field
        self.message = message
    }

    public var description: String {
        var location = file
        if let line {
            location += ": line \(line)"
            if let column { location += ", column \(column)" }
        }
        if let document {
            location += ": document \(document)"
            if let object, !object.isEmpty { location += " (\(object))" }
        } else if let object, !object.isEmpty {
            location += ": \(object)"
        }
        if let field, !field.isEmpty { location += ": \(field)" }
        return "\(location): \(message)"
    }
}

/// A load that failed: every problem found, in file and document order. Nothing of it was applied.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Every problem, in file and document order (fields in order within an object).
    public var problems: [ManifestProblem]

    public init(problems: [ManifestProblem]) {
        self.problems = problems
    }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
