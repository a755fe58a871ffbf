import NIOPosix
import SwitchyardSystem

/// Makes a listening TCP socket inside another network namespace (a socket keeps the namespace it
/// was made in). Runs on a NIO thread-pool thread, never on the Swift concurrency pool, because
/// `setns` changes the namespace of the whole thread.
public enum NamespaceListener {
    /// A listening socket on `0.0.0.0:port` in the namespace file `namespacePath` (nil: ours).
    public static func listen(port: Int, namespacePath: String?) async throws -> Int32 {
        let socket = ListeningSocket(.tcp, address: "0.0.0.0", port: UInt16(clamping: port), transparent: false)
        return try await NIOThreadPool.singleton.runIfActive { try socket.open(in: NetworkNamespace(namespacePath)) }
    }
}
