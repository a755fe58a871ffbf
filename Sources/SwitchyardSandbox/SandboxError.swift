import Foundation

/// What failed while building, using or tearing down a sandbox, and where.
public enum SandboxError: Error, Hashable, CustomStringConvertible {
    /// The tag is not 1–8 characters of `a-z0-9`.
    case invalidTag(String)
    /// Two pods (or a pod and a host) claim the same address.
    case duplicateAddress(String)
    /// A program exited non-zero: what ran, in which namespace (nil: the caller's), status and stderr.
    case commandFailed(command: String, namespace: String?, status: Int32, error: String)
    /// A program could not be started at all.
    case launchFailed(command: String, reason: String)
    /// An echo server did not report ready: which namespace, and what it printed.
    case echoServerNotReady(namespace: String, output: String)
    /// A socket call failed: the call, the address it was about, and errno.
    case socket(call: String, address: String, errno: Int32)
    /// A namespace could not be entered (`setns`).
    case namespace(name: String, errno: Int32)
    /// No namespace is known for a pod or address.
    case unknownTarget(String)

    public var description: String {
        switch self {
        case .invalidTag(let tag):
            "invalid sandbox tag \"\(tag)\": use 1-8 characters a-z 0-9"
        case .duplicateAddress(let address):
            "address \(address) is claimed twice in the sandbox"
        case .commandFailed(let command, let namespace, let status, let error):
            "`\(command)`\(namespace.map { " in \($0)" } ?? "") exited \(status): \(error.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .launchFailed(let command, let reason):
            "cannot start `\(command)`: \(reason)"
        case .echoServerNotReady(let namespace, let output):
            "the echo server in \(namespace) did not start: \(output)"
        case .socket(let call, let address, let errno):
            "\(call) \(address) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .namespace(let name, let errno):
            "cannot enter network namespace \(name): \(String(cString: strerror(errno))) (errno \(errno))"
        case .unknownTarget(let target):
            "the sandbox has no namespace for \(target)"
        }
    }
}
