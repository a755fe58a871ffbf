import Foundation
import SwitchyardSystem

/// Runs `nft` (and other tools) inside throwaway network namespaces, never the machine's own.
public enum Netns {
    public static let nft = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Root and nft present: the namespace tests can run.
    public static var available: Bool {
        getuid() == 0 && nft != nil && ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `arguments` with standard error merged into the output.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let result = try ProcessRunner.run(arguments, input: input, mergingErrors: true)
        return (result.status, result.output)
    }

    /// Runs `command` inside a fresh namespace, with `input` on standard input.
    public static func inNamespace(_ command: [String], input: String) throws -> (status: Int32, output: String) {
        let name = "sy-rules-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        _ = try run(["ip", "netns", "add", name])
        defer { _ = try? run(["ip", "netns", "delete", name]) }
        return try run(["ip", "netns", "exec", name] + command, input: input)
    }

    /// Writes `text` to a file and runs `nft [-c] -f FILE` in a new namespace; returns status and output.
    public static func nftFile(_ text: String, check: Bool = true, then commands: [[String]] = []) throws -> (status: Int32, output: String, extra: [String]) {
        let name = "sy-nft-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).nft")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try run(["ip", "netns", "add", name])
        defer { _ = try? run(["ip", "netns", "delete", name]) }
        let result = try run(["ip", "netns", "exec", name, nft ?? "nft"] + (check ? ["-c"] : []) + ["-f", file.path])
        var extra: [String] = []
        for command in commands { extra.append(try run(["ip", "netns", "exec", name] + command).output) }
        return (result.status, result.output, extra)
    }
}
