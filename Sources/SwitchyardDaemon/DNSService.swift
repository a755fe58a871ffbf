import Logging
import ServiceLifecycle
import SwitchyardDNS
import SwitchyardModel

/// What the daemon needs from a cluster DNS server: start listening, serve the zone built from the
/// latest snapshot (swapped atomically), stop. SwitchyardDNS's server plugs in through this.
public protocol ClusterDNSServer: Sendable {
    /// Binds every listen address; returns them as text (with the real ports).
    func start() async throws -> [String]
    /// Serves the zone for `snapshot` to every query from now on: updated from the previous zone by
    /// `changes` (what changed since the previous publish), or built whole when `changes` is nil.
    func publish(_ snapshot: ClusterSnapshot, changes: ZoneChanges?)
    /// Work the server does beside answering (node-local DNS sockets, their hand-over) until the
    /// calling task is cancelled. The default has none.
    func maintain() async
    /// Closes the sockets.
    func stop() async throws
}

extension ClusterDNSServer {
    public func maintain() async {}
}

/// Runs a ``ClusterDNSServer`` fed from the sync loop's ``ZoneFeed``: each publish takes the newest
/// snapshot with every change since the previous one (updates coalesce under bursts and stay
/// incremental).
public struct DNSService: ServiceLifecycle.Service {
    public var server: any ClusterDNSServer
    public var feed: ZoneFeed
    public var logger: Logger
    /// Called once, with the bound addresses, after the first zone is published (`switchyard dns`
    /// prints them: a supervisor or test waits for that line before querying).
    public var announce: (@Sendable ([String]) -> Void)?

    public init(server: any ClusterDNSServer, feed: ZoneFeed, logger: Logger, announce: (@Sendable ([String]) -> Void)? = nil) {
        self.server = server
        self.feed = feed
        self.logger = logger
        self.announce = announce
    }

    /// At most one publish per interval: the changes of a burst of watch events (a Service
    /// replacement alone is four) go out together. Every publish has a fixed cost besides the names
    /// it writes (the apex with its new serial, the other copy brought up to date, a new zone object,
    /// this task's timer and wake-ups): ~0.2 ms in the publish and as much around it at 10,000 × 10.
    /// Churn at 100 changes/s at 10,000 × 10 (Benchmarks/daemon/run.py, same hour), CPU per change /
    /// DNS freshness p99: every 20 ms 1.13-1.20 ms / 44-48 ms, every 40 ms 0.88-1.07 ms / 66 ms,
    /// every 50 ms 0.91-1.04 ms / 74-76 ms. At 10,000 × 100, where a publish writes ~200 names per
    /// Service, the interval changes CPU per change within the noise and adds to freshness.
    public static let publishInterval = Duration.milliseconds(40)

    public func run() async throws {
        let addresses = try await server.start()
        logger.info("serving DNS", metadata: ["listen": "\(addresses.joined(separator: " "))"])
        let server = server
        var announce = announce
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await server.maintain() }
            // Graceful shutdown finishes the feed's wakeups (rather than `cancelOnGracefulShutdown()`:
            // a merge per wakeup, see EventSourceService.run).
            await withGracefulShutdownHandler {
                for await _ in feed.wakeups {
                    guard let (snapshot, changes) = feed.take() else { continue }
                    server.publish(snapshot, changes: changes)
                    announce?(addresses)
                    announce = nil
                    try? await Task.sleep(for: Self.publishInterval)
                }
            } onGracefulShutdown: { [feed] in
                feed.finish()
            }
            group.cancelAll()
        }
        try await server.stop()
    }
}
