import Foundation

/// A network namespace a test creates for itself and deletes afterwards, so nothing is ever
/// programmed in the machine's own namespace.
public struct TestNamespace: Sendable {
    public let name: String

    /// Why namespace tests cannot run here, or nil when they can (root, `ip` and `nft` present).
    public static var unavailableReason: String? {
        if !Shell.isRoot { return "needs root to create network namespaces (run the suite as root)" }
        if !Shell.has("ip") { return "needs iproute2's `ip`" }
        if !Shell.has("nft") { return "needs nftables' `nft`" }
        return nil
    }

    /// Creates `sy-<prefix>-<random>`, runs `body`, and deletes the namespace whatever happens.
    public static func with<T>(_ prefix: String, _ body: (TestNamespace) async throws -> T) async throws -> T {
        let namespace = try TestNamespace(prefix: prefix)
        defer { namespace.delete() }
        return try await body(namespace)
    }

    private init(prefix: String) throws {
        name = "sy-\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
        let result = try Shell.run(["ip", "netns", "add", name])
        guard result.status == 0 else {
            throw TestNamespaceError(message: "ip netns add \(name) failed: \(result.error)")
        }
    }

    /// Runs a program inside the namespace.
    @discardableResult
    public func run(_ arguments: [String], input: String? = nil) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", name] + arguments, input: input)
    }

    /// Runs a program inside the namespace and fails unless it exits 0; returns its output.
    @discardableResult
    public func runChecked(_ arguments: [String], input: String? = nil) throws -> String {
        let result = try run(arguments, input: input)
        guard result.status == 0 else {
            throw TestNamespaceError(message: "`\(arguments.joined(separator: " "))` in \(name) exited \(result.status): \(result.error)")
        }
        return result.output
    }

    func delete() {
        _ = try? Shell.run(["ip", "netns", "delete", name])
    }
}

/// A namespace could not be made or a command in it failed.
public struct TestNamespaceError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
