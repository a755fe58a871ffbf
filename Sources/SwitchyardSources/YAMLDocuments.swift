import Yams

/// One document of a manifest file, as a generic tree.
struct ParsedDocument {
    /// 1-based position in the file.
    var index: Int
    var value: APIValue
}

/// Splits a YAML (or JSON) text into documents and turns each into an `APIValue`.
enum YAMLDocuments {
    struct SyntaxError: Error {
        var line: Int?
        var column: Int?
        var message: String
    }

    /// All documents, and the syntax error that stopped parsing, if any. Empty documents (only
    /// comments, or a trailing `---`) are dropped but keep their place in the numbering.
    static func parse(_ text: String) -> (documents: [ParsedDocument], error: SyntaxError?) {
        var documents: [ParsedDocument] = []
        do {
            var sequence = try Yams.compose_all(yaml: text, Resolver.basic)
            var index = 0
            while let node = sequence.next() {
                index += 1
                let value = convert(node)
                if value != .null { documents.append(ParsedDocument(index: index, value: value)) }
            }
            if let error = sequence.error { return (documents, syntaxError(error)) }
        } catch {
            return (documents, syntaxError(error))
        }
        return (documents, nil)
    }

    private static func syntaxError(_ error: any Error) -> SyntaxError {
        guard let yaml = error as? YamlError else {
            return SyntaxError(message: "YAML syntax error: \(error)")
        }
        switch yaml {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let contextText = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return SyntaxError(line: mark.line, column: mark.column, message: "YAML syntax error: \(problem)\(contextText)")
        case .reader(let problem, _, _, _):
            return SyntaxError(message: "cannot read the text: \(problem)")
        default:
            return SyntaxError(message: "YAML syntax error: \(yaml)")
        }
    }

    /// Plain scalars are typed as YAML 1.1 (as Kubernetes' go-yaml reads them): null, booleans
    /// (`true`, `yes`, `on`, …), integers (decimal, `0x`, `0o`/leading-zero octal, `0b`) and floats;
    /// quoted and block scalars stay strings. Done here rather than by Yams' regular-expression
    /// resolver, which dominated the load time of large manifests.
    static func convert(_ node: Node) -> APIValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any,
                  scalar.tag.description != Tag.Name.str.rawValue  // explicit `!!str`
            else { return .string(scalar.string) }
            return PlainScalar.value(scalar.string)
        case .mapping(let mapping):
            return .object(mapping.map { (key: $0.key.string ?? "\($0.key)", value: convert($0.value)) })
        case .sequence(let sequence):
            return .array(sequence.map(convert))
        case .alias:
            return .null
        }
    }
}
