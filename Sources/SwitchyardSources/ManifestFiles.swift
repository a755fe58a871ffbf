import Foundation

/// One manifest file's bytes as read at one moment.
struct ManifestFile: Sendable, Hashable {
    var path: String
    var contents: Data
}

/// Finds and reads manifest files: given files as they are, directories recursively for `*.yaml`,
/// `*.yml` and `*.json`, in sorted order. Hidden entries (`.git`, ConfigMap mounts' `..data`) are skipped.
enum ManifestFiles {
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    /// The files under `paths`, sorted within each directory, and a problem for each path that is missing.
    static func list(_ paths: [String]) -> (files: [String], problems: [ManifestProblem]) {
        var files: [String] = []
        var problems: [ManifestProblem] = []
        var seen: Set<String> = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(ManifestProblem(file: path, message: "no such file or directory"))
                continue
            }
            var visited: Set<String> = []
            let found = isDirectory.boolValue ? walk(path, visited: &visited) : [path]
            for file in found where seen.insert(file).inserted { files.append(file) }
        }
        return (files, problems)
    }

    /// `visited` holds the real paths of directories already walked, so symlink cycles end.
    private static func walk(_ directory: String, visited: inout Set<String>) -> [String] {
        let manager = FileManager.default
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        guard visited.insert(real).inserted else { return [] }
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return [] }
        var result: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                result += walk(path, visited: &visited)
            } else if let ext = name.split(separator: ".").last, name.contains("."),
                      extensions.contains(ext.lowercased()) {
                result.append(path)
            }
        }
        return result
    }

    /// Reads every file under `paths`. Unreadable and missing paths become problems.
    static func read(_ paths: [String]) -> (files: [ManifestFile], problems: [ManifestProblem]) {
        let (names, listProblems) = list(paths)
        var problems = listProblems
        var files: [ManifestFile] = []
        for name in names {
            if let data = FileManager.default.contents(atPath: name) {
                files.append(ManifestFile(path: name, contents: data))
            } else {
                problems.append(ManifestProblem(file: name, message: "cannot read the file"))
            }
        }
        return (files, problems)
    }
}
