import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
            let found = isDirectory.boolValue ? walk(path, visited: &visited, problems: &problems) : [path]
            for file in found where seen.insert(file).inserted { files.append(file) }
        }
        return (files, problems)
    }

    /// `visited` holds the real paths of directories already walked, so symlink cycles end. A
    /// directory that cannot be listed is a problem, never an empty directory: out of file
    /// descriptors (EMFILE), a listing would otherwise load as a cluster without objects and the
    /// node would withdraw every Service.
    private static func walk(_ directory: String, visited: inout Set<String>, problems: inout [ManifestProblem]) -> [String] {
        let manager = FileManager.default
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        guard visited.insert(real).inserted else { return [] }
        let names: [String]
        switch entries(of: directory) {
        case .success(let listed): names = listed
        case .failure(let code):
            problems.append(ManifestProblem(file: directory, message: "cannot list the directory: \(String(cString: strerror(code.code.rawValue)))"))
            return []
        }
        var result: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                result += walk(path, visited: &visited, problems: &problems)
            } else if let ext = name.split(separator: ".").last, name.contains("."),
                      extensions.contains(ext.lowercased()) {
                result.append(path)
            }
        }
        return result
    }

    /// The names in `directory` (without `.` and `..`), or the errno that stopped the listing.
    private static func entries(of directory: String) -> Result<[String], POSIXError> {
        guard let stream = opendir(directory) else { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
                return .success(names)
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Reads every file under `paths`. Unreadable and missing paths become problems.
    static func read(_ paths: [String]) -> (files: [ManifestFile], problems: [ManifestProblem]) {
        let (names, listProblems) = list(paths)
        var problems = listProblems
        var files: [ManifestFile] = []
        for name in names {
            switch contents(of: name) {
            case .success(let data): files.append(ManifestFile(path: name, contents: data))
            case .failure(let error):
                problems.append(ManifestProblem(file: name, message: "cannot read the file: \(String(cString: strerror(error.code.rawValue)))"))
            }
        }
        return (files, problems)
    }

    /// The bytes of `path`, or the errno that stopped the read.
    private static func contents(of path: String) -> Result<Data, POSIXError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return .success(data) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
            }
            data.append(contentsOf: buffer[0..<count])
        }
    }
}
