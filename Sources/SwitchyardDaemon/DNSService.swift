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
    /// replacement alone is four) go out together; every publish has a fixed cost (the apex with its
    /// new serial, a new zone object), and freshness stays within milliseconds.
    public static let publishInterval = Duration.milliseconds(20)

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
