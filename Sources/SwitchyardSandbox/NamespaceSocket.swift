import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// Creates sockets inside a named network namespace without starting a process: the calling thread
/// switches into the namespace, makes the socket and switches back. A socket keeps the namespace it
/// was created in, so it can then be used from any thread.
enum NamespaceSocket {
    /// A new socket (`socket(family, type, 0)`, close-on-exec) in namespace `name` (nil: the caller's).
    static func make(family: Int32, type: Int32, namespace name: String?) throws(SandboxError) -> Int32 {
        try NetworkNamespace(name).perform({ () throws(SandboxError) -> Int32 in
            try plainSocket(family: family, type: type, label: name ?? "here")
        }, failing: { SandboxError.namespace(name: $0.path, errno: $0.errno) })
    }

    private static func plainSocket(family: Int32, type: Int32, label: String) throws(SandboxError) -> Int32 {
        let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(call: "socket", address: label, errno: errno) }
        return fd
    }
}
