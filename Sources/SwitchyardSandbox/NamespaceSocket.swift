#if canImport(Glibc)
import Glibc
#endif

/// Creates sockets inside a named network namespace without starting a process: the calling thread
/// switches into the namespace, makes the socket and switches back. A socket keeps the namespace it
/// was created in, so it can then be used from any thread.
enum NamespaceSocket {
    private typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// `setns(2)`, looked up at run time: Glibc only declares it under `_GNU_SOURCE`.
    private static let setns: SetNS? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return nil }
        return unsafeBitCast(symbol, to: SetNS.self)
    }()

    /// A new socket (`socket(family, type, 0)`, close-on-exec) in namespace `name` (nil: the caller's).
    static func make(family: Int32, type: Int32, namespace name: String?) throws(SandboxError) -> Int32 {
        guard let name else { return try plainSocket(family: family, type: type, label: "here") }
        guard let setns else { throw .namespace(name: name, errno: ENOSYS) }
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw .namespace(name: "/proc/thread-self/ns/net", errno: errno) }
        defer { close(original) }
        let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw .namespace(name: name, errno: errno) }
        defer { close(target) }
        guard setns(target, cloneNewNet) == 0 else { throw .namespace(name: name, errno: errno) }
        let result = Result { () throws(SandboxError) -> Int32 in try plainSocket(family: family, type: type, label: name) }
        // A thread left in the wrong namespace would send later traffic from the wrong place.
        if setns(original, cloneNewNet) != 0 {
            fatalError("cannot return to the original network namespace: errno \(errno)")
        }
        return try result.get()
    }

    private static func plainSocket(family: Int32, type: Int32, label: String) throws(SandboxError) -> Int32 {
        let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(call: "socket", address: label, errno: errno) }
        return fd
    }
}
