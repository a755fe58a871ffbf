import ArgumentParser
import Foundation
import SwitchyardSources

/// `switchyard validate PATH…`: load manifests, print a summary, or every problem and exit 1.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Load and validate kubectl-style YAML/JSON manifests and print a summary.",
        discussion: """
            Directories are read recursively (*.yaml, *.yml, *.json, sorted). On bad input every \
            problem is printed with its file, document, object and field, and the exit status is 1.
            """
    )

    @Argument(help: "Manifest files or directories.")
    var paths: [String]

    @Option(help: "The cluster's NodePort range, as FIRST-LAST.", transform: NodePortRange.parse)
    var nodePortRange: ClosedRange<Int> = 30000...32767

    func run() throws {
        let loader = ManifestLoader(nodePortRange: nodePortRange)
        do {
            let objects = try loader.load(paths: paths)
            print(ClusterSummary(objects).description)
        } catch {
            var standardError = StandardError()
            print(error.description, to: &standardError)
            print("\(error.problems.count) problem\(error.problems.count == 1 ? "" : "s") found; nothing loaded.", to: &standardError)
            throw ExitCode.failure
        }
    }
}

/// Parses `30000-32767`.
enum NodePortRange {
    static func parse(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]),
              1 <= low, low <= high, high <= 65535
        else { throw ValidationError("--node-port-range must be FIRST-LAST within 1-65535, e.g. 30000-32767; got \"\(text)\"") }
        return low...high
    }
}

/// `print(…, to:)` target for standard error.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
