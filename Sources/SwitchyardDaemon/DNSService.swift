import Logging
import ServiceLifecycle
import SwitchyardModel

/// What the daemon needs from a cluster DNS server: start listening, serve the zone built from the
/// latest snapshot (swapped atomically), stop. SwitchyardDNS's server plugs in through this.
public protocol ClusterDNSServer: Sendable {
    /// Binds every listen address; returns them as text (with the real ports).
    func start() async throws -> [String]
    /// Builds the zone for `snapshot` and serves it to every query from now on.
    func publish(_ snapshot: ClusterSnapshot)
    /// Closes the sockets.
    func stop() async throws
}

/// Runs a ``ClusterDNSServer`` fed from the sync loop's snapshots: only the newest snapshot waiting
/// is built (zone builds coalesce under bursts).
public struct DNSService: ServiceLifecycle.Service {
    public var server: any ClusterDNSServer
    public var snapshots: AsyncStream<ClusterSnapshot>
    public var logger: Logger

    public init(server: any ClusterDNSServer, snapshots: AsyncStream<ClusterSnapshot>, logger: Logger) {
        self.server = server
        self.snapshots = snapshots
        self.logger = logger
    }

    public func run() async throws {
        let addresses = try await server.start()
        logger.info("serving DNS", metadata: ["listen": "\(addresses.joined(separator: " "))"])
        for await snapshot in snapshots.cancelOnGracefulShutdown() {
            server.publish(snapshot)
        }
        try await server.stop()
    }
}
