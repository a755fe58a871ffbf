import CSwitchyardNetfilter
#if canImport(Glibc)
import Glibc
#endif

/// The network namespace netlink operations run in. Switchyard may stay in its own namespace and
/// program another: a socket keeps the namespace it was created in.
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

    /// Runs `body` with the calling thread switched into this namespace, then switches back.
    /// `body` must be synchronous (no suspension), so no other task can run on the switched thread;
    /// sockets created inside stay bound to this namespace after the switch back.
    func perform<T>(_ body: () throws(NetlinkError) -> T) throws(NetlinkError) -> T {
        guard let path else { return try body() }
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw .namespace(path: "/proc/thread-self/ns/net", errno: errno) }
        defer { close(original) }
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw .namespace(path: path, errno: errno) }
        defer { close(target) }
        guard setns(target, switchyard_clone_newnet) == 0 else { throw .namespace(path: path, errno: errno) }
        defer {
            // A thread left in the wrong namespace would silently program the wrong kernel state.
            if setns(original, switchyard_clone_newnet) != 0 {
                fatalError("cannot return to the original network namespace: errno \(errno)")
            }
        }
        return try body()
    }
}
