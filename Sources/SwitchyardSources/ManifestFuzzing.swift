import Foundation
import Logging

/// What the manifest fuzz target (Fuzz/, `make fuzz`) checks for one file's bytes, and the suite's
/// smoke test over the committed corpus: loading never traps and ends (libFuzzer's `-timeout` catches
/// a hang); it gives objects, or problems that each name the file.
public enum ManifestFuzzing {
    static let loader: ManifestLoader = {
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        return ManifestLoader(logger: logger)
    }()

    /// Checks one input.
    public static func check(_ bytes: UnsafeRawBufferPointer) {
        let file = ManifestFile(path: "fuzz.yaml", contents: Data(bytes))
        do {
            _ = try loader.load(files: [file])
        } catch {
            precondition(!error.problems.isEmpty && error.problems.allSatisfy { $0.file == "fuzz.yaml" }, "a failed load without its problems")
        }
    }
}
