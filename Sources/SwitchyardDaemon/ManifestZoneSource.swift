import Logging
import ServiceLifecycle
import SwitchyardDNS
import SwitchyardModel
import SwitchyardSources

/// `switchyard dns`'s cluster source: the manifests followed into a store of its own, each change
/// offered to the ``ZoneFeed`` with what it changed, so the zone is updated name by name as in
/// `switchyard run` (the first state is built whole). Pods are kept only when `keepPods` (DNS
/// needs their objects for `pods verified`). Manifests that stop loading are logged and the last
/// good zone stays served.
public struct ManifestZoneSource: ServiceLifecycle.Service {
    public var source: ManifestSource
    public var feed: ZoneFeed
    public var keepPods: Bool
    public var logger: Logger

    public init(source: ManifestSource, feed: ZoneFeed, keepPods: Bool, logger: Logger) {
        self.source = source
        self.feed = feed
        self.keepPods = keepPods
        self.logger = logger
    }

    public func run() async throws {
        var store = ClusterStore()
        var first = true
        do {
            // Each batch after the first is a difference; the first adds everything.
            for try await batch in source.cancelOnGracefulShutdown() {
                let events = keepPods ? batch : batch.filter { $0.kind != .pod }
                let before = store.snapshot
                store.apply(events)
                guard first || store.snapshot.generation != before.generation else { continue }
                feed.offer(store.snapshot, changes: first ? nil : ZoneChanges(events: events, before: before))
                first = false
            }
        } catch {
            logger.error("manifests no longer load; serving the last good zone", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
