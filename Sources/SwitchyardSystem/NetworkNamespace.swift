import CSwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace: the one place Switchyard enters another namespace. A socket keeps the
/// namespace it was created in and a spawned process inherits its parent thread's, so the netlink
/// sockets, the health-check listeners, the sandbox's probes and the benchmark's commands all switch
/// the calling thread in for the creation only (``perform(_:failing:)``).
public enum NetworkNamespace: Sendable, Hashable, CustomStringConvertible {
    /// The namespace of the calling process.
    case current
    /// A namespace by `ip netns` name (`/var/run/netns/NAME`) or by path (`/proc/PID/ns/net`).
    case named(String)

    /// Parses `--netns NAME|PATH`.
    public init(_ argument: String?) {
        if let argument, !argument.isEmpty { self = .named(argument) } else { self = .current }
    }

    /// The file that identifies the namespace, or nil for the current one.
    public var path: String? {
        switch self {
        case .current: nil
        case .named(let name): name.contains("/") ? name : "/var/run/netns/\(name)"
        }
    }

    public var description: String {
        switch self {
        case .current: "the current network namespace"
        case .named(let name): "network namespace \(name)"
        }
    }

    /// Runs `body` with the calling thread switched into this namespace, then switches back; a
    /// failure to enter becomes the caller's error through `failing`. `body` must be synchronous (no
    /// suspension), so no other task can run on the switched thread; sockets created inside stay
    /// bound to this namespace after the switch back. A thread that cannot switch back stops the
    /// process: it would otherwise program (or send from) the wrong namespace without saying so.
    public func perform<T, Failure: Error>(
        _ body: () throws(Failure) -> T, failing: (NamespaceError) -> Failure
    ) throws(Failure) -> T {
        guard let path else { return try body() }
        let own = "/proc/thread-self/ns/net"
        let original = open(own, O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw failing(NamespaceError(path: own, errno: errno)) }
        defer { close(original) }
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw failing(NamespaceError(path: path, errno: errno)) }
        defer { close(target) }
        guard setns(target, switchyard_clone_newnet) == 0 else { throw failing(NamespaceError(path: path, errno: errno)) }
        defer {
            if setns(original, switchyard_clone_newnet) != 0 {
                fatalError("cannot return to the original network namespace: errno \(errno)")
            }
        }
        return try body()
    }
}

/// A network namespace could not be entered: the file and errno.
public struct NamespaceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var errno: Int32

    public init(path: String, errno: Int32) {
        self.path = path
        self.errno = errno
    }

    public var description: String { "cannot enter the network namespace \(path): \(String(cString: strerror(errno)))" }
}
