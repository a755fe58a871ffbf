import Foundation
import SwitchyardSystem

/// Runs external programs (nft, ip, dig, …) from tests.
public enum Shell {
    /// The outcome of one program run.
    public typealias Result = ProcessResult

    /// Runs `arguments` (the program is looked up on PATH), optionally feeding `input`, and waits.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil) throws -> Result {
        try ProcessRunner.run(arguments, input: input)
    }

    /// Whether a program is on PATH.
    public static func has(_ program: String) -> Bool {
        (try? run(["which", program]).status) == 0
    }

    /// Whether the tests run as root (netfilter and namespaces need it).
    public static var isRoot: Bool { geteuid() == 0 }
}

extension Shell {
    /// The `switchyard` executable built next to the test bundle.
    public static var switchyardBinary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first { $0.contains(".xctest") } ?? Bundle.main.bundlePath)
        var directory = bundle.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("switchyard")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/switchyard"
    }
}
extension Shell {
    /// The repository's Tests/Fixtures directory (scripts and files the end-to-end tests share).
    public static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Tests/Fixtures").standardized.path
}
