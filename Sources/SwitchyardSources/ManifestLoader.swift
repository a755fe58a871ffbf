import Foundation
import Logging
import SwitchyardModel

/// Loads kubectl-style manifests (YAML, multi-document, `kind: List`, or JSON) into model objects.
/// A load gives all objects or, when anything is wrong, a `ManifestError` with every problem.
public struct ManifestLoader: Sendable {
    /// Converts and validates each object; holds the node port range.
    public var converter: ObjectConverter
    /// Receives skipped kinds (debug) and, in `ManifestSource`, failed reloads (error).
    public var logger: Logger

    /// - Parameters:
    ///   - nodePortRange: the cluster's NodePort range, for validation.
    ///   - logger: skipped kinds are logged at debug level.
    public init(
        nodePortRange: ClosedRange<Int> = 30000...32767,
        logger: Logger = Logger(label: "switchyard.manifests")
    ) {
        self.converter = ObjectConverter(nodePortRange: nodePortRange)
        self.logger = logger
    }

    /// Loads files and directories (recursively `*.yaml`, `*.yml`, `*.json`, sorted). Objects come in
    /// file and document order.
    public func load(paths: [String]) throws(ManifestError) -> [ClusterObject] {
        let (files, problems) = ManifestFiles.read(paths)
        return try load(files: files, problems: problems)
    }

    /// Loads one text as if it were the file `file` (for tests and standard input).
    public func load(text: String, file: String) throws(ManifestError) -> [ClusterObject] {
        try load(files: [ManifestFile(path: file, contents: Data(text.utf8))], problems: [])
    }

    func load(files: [ManifestFile], problems initial: [ManifestProblem] = []) throws(ManifestError) -> [ClusterObject] {
        let load = loadSkippingInvalid(files: files, problems: initial)
        guard load.allProblems.isEmpty else { throw ManifestError(problems: load.allProblems) }
        return load.objects
    }

    /// Loads what can be loaded: objects that fail conversion or validation are left out and
    /// reported with their problems (`invalidObjects`); problems of a whole file or document (I/O,
    /// syntax, encoding, duplicates) are in `problems`, and with any of those the load as a whole
    /// cannot be trusted (a file's objects may be missing).
    func loadSkippingInvalid(files: [ManifestFile], problems initial: [ManifestProblem] = []) -> ManifestLoad {
        var problems = initial
        var all = initial
        var invalid: [ManifestLoad.InvalidObject] = []
        var objects: [ClusterObject] = []
        var origins: [ObjectIdentity: String] = [:]
        func fileProblem(_ problem: ManifestProblem) {
            problems.append(problem)
            all.append(problem)
        }
        for file in files {
            guard let text = String(data: file.contents, encoding: .utf8) else {
                fileProblem(ManifestProblem(file: file.path, message: "is not UTF-8 text"))
                continue
            }
            let (documents, syntaxError) = YAMLDocuments.parse(text)
            for document in documents {
                for (prefix, value) in ObjectConverter.items(of: document.value) {
                    let place = Place(file: file.path, document: document.index, prefix: prefix)
                    switch converter.convert(value) {
                    case .object(let object):
                        let identity = ObjectIdentity(object)
                        if let first = origins[identity] {
                            fileProblem(place.problem(object: identity.description, field: "",
                                message: "duplicate object: also defined in \(first)"))
                        } else {
                            origins[identity] = "\(file.path) document \(document.index)"
                            objects.append(object)
                        }
                    case .skipped(let apiVersion, let kind):
                        logger.debug("skipping an object that is not followed", metadata: [
                            "file": "\(file.path)", "document": "\(document.index)",
                            "apiVersion": "\(apiVersion)", "kind": "\(kind)",
                        ])
                    case .invalid(let object, let found):
                        let located = found.map { place.problem(object: object, field: $0.field, message: $0.message) }
                        if object.isEmpty {
                            located.forEach(fileProblem)  // not even a kind and name: the document is unusable
                        } else {
                            all += located
                            invalid.append(ManifestLoad.InvalidObject(object: object, problems: located))
                        }
                    }
                }
            }
            if let syntaxError {
                fileProblem(ManifestProblem(
                    file: file.path, line: syntaxError.line, column: syntaxError.column, message: syntaxError.message))
            }
        }
        return ManifestLoad(objects: objects, invalidObjects: invalid, problems: problems, allProblems: all)
    }

    private struct Place {
        var file: String
        var document: Int
        var prefix: String

        func problem(object: String, field: String, message: String) -> ManifestProblem {
            let path = field.isEmpty ? String(prefix.dropLast()) : prefix + field
            return ManifestProblem(
                file: file, document: document, object: object.isEmpty ? nil : object,
                field: path.isEmpty ? nil : path, message: message)
        }
    }
}

/// What a load that skips invalid objects gives.
struct ManifestLoad {
    /// One object left out, named as `Service default/web`, with its problems.
    struct InvalidObject: Hashable {
        var object: String
        var problems: [ManifestProblem]
    }

    var objects: [ClusterObject]
    var invalidObjects: [InvalidObject]
    /// Problems of whole files or documents.
    var problems: [ManifestProblem]
    /// Every problem, objects' and files', in file and document order.
    var allProblems: [ManifestProblem]
}

/// Kind plus namespace/name: what makes an object the same object across loads.
struct ObjectIdentity: Hashable, Comparable, CustomStringConvertible {
    var kind: ResourceKind
    var key: ObjectKey

    init(_ object: ClusterObject) {
        kind = object.kind
        key = object.key
    }

    var description: String { "\(kind.rawValue) \(key)" }

    static func < (lhs: ObjectIdentity, rhs: ObjectIdentity) -> Bool {
        (lhs.kind.rawValue, lhs.key) < (rhs.kind.rawValue, rhs.key)
    }
}
