import Foundation
import Logging
import NIOCore
import NIOPosix
import SwitchyardDNS
import SwitchyardModel
import SwitchyardRules
import SwitchyardSystem
import Synchronization

/// SwitchyardDNS's server behind ``ClusterDNSServer``: answers `cluster.local` from the zone built
/// from the latest snapshot (SERVFAIL for cluster names until the first one), forwards other names
/// to the resolv.conf nameservers.
public final class SwitchyardDNSFrontend: ClusterDNSServer {
    private let server: DNSServer
    private let options: DNSZoneOptions
    /// The zone kept up to date change by change, rebuilt in the background when due.
    private let zone: LiveZone
    private let logger: Logger
    /// Sockets on the kube-dns ClusterIPs, with `--dns-cluster-ip-service`.
    private let nodeLocal: NodeLocalDNS?
    /// This node's pods by address, with `--dns-autopath`.
    private let autopath: (node: String, clients: Autopath.Clients)?
    /// When the memory of a whole build's drafts and of the bases folds replaced goes back to the kernel.
    private let freed = Mutex(FreedBytesRelease())

    /// A server for `settings`; upstreams from `resolvConf` (`/etc/resolv.conf` text). `listen`
    /// replaces `settings.listen` with several addresses (`switchyard dns --listen …`), each read by
    /// `udpSocketsPerAddress` sockets on `group`'s event loops.
    public init(settings: DNSSettings, resolvConf: String, logger: Logger, metrics: DaemonMetrics? = nil,
                listen addresses: [SocketAddress]? = nil, udpSocketsPerAddress: Int = 1,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        let listen = settings.listen
        let listenAddresses = try addresses
            ?? [SocketAddress(ipAddress: listen.host == "localhost" ? "127.0.0.1" : listen.host, port: listen.port)]
        let forwarder = settings.makeForwarder(resolvConf: resolvConf, group: group)
        options = try settings.zoneOptions(reverseFallthrough: !settings.upstreamServers(resolvConf: resolvConf).isEmpty)
        self.logger = logger
        var observer: DNSReplyObserver?
        var refused: (@Sendable () -> Void)?
        if let metrics {
            observer = { rcode, nanoseconds in metrics.dnsReply(rcode: rcode, nanoseconds: nanoseconds) }
            refused = { metrics.dnsConnectionRefused() }
        }
        let clients = settings.autopathNode.map { _ in Autopath.Clients() }
        autopath = settings.autopathNode.flatMap { node in clients.map { (node, $0) } }
        server = DNSServer(
            configuration: DNSServerConfiguration(listen: listenAddresses, udpSocketsPerAddress: udpSocketsPerAddress,
                                                  forwardingClients: settings.forwardingClients, udpThreadNice: settings.queryThreadNice),
            zone: DNSZone.notSynced(options: options),
            forwarder: forwarder, group: group, logger: logger,
            observer: observer, refusedConnection: refused,
            autopath: clients.map { Autopath(clients: $0, hostSearch: DNSAddress.searchDomains(resolvConf: resolvConf)) })
        let server = server
        nodeLocal = settings.nodeLocal.map {
            NodeLocalDNS(settings: $0, server: server, logger: logger)
        }
        zone = LiveZone(options: options, publish: { server.publish($0) })
    }

    /// The factory `Daemon` takes.
    public static let make: @Sendable (DNSSettings, DaemonMetrics) throws -> any ClusterDNSServer = { settings, metrics in
        let resolvConf = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        return try SwitchyardDNSFrontend(
            settings: settings, resolvConf: resolvConf, logger: Logger(label: "switchyard.dns"), metrics: metrics)
    }

    public func start() async throws -> [String] {
        try await server.start().map { "\($0)" }
    }

    public func publish(_ snapshot: ClusterSnapshot, changes: ZoneChanges?) {
        let clock = ContinuousClock()
        let start = clock.now
        let publication = zone.update(to: snapshot, changes: changes)
        if let nodeLocal { nodeLocal.serve(snapshot.services[nodeLocal.service]?.clusterIPs ?? []) }
        if let (node, clients) = autopath {
            let local = { (key: ObjectKey) in snapshot.pods[key].flatMap { $0.nodeName == node ? $0 : nil } }
            if let changes {
                for key in changes.pods { clients.update(key, to: local(key)) }
            } else {
                clients.removeAll()
                for key in snapshot.pods.keys { if let pod = local(key) { clients.update(key, to: pod) } }
            }
        }
        let rebuilt = publication.rebuilt, compacted = publication.compacted
        let message: Logger.Message = rebuilt ? "DNS zone built" : compacted ? "DNS zone updated and a shard's changes folded into its base" : "DNS zone updated"
        logger.log(level: rebuilt ? .info : .debug, message, metadata: [
            "names": "\(publication.zone.nameCount)", "services_changed": "\(changes?.services.count ?? snapshot.services.count)",
            "took": "\(SyncLog.milliseconds(start.duration(to: clock.now)))",
        ])
        // A whole build's transient peak (drafts, the previous zone) goes back to the kernel, and so
        // do the bases folds replaced once the zone that held them is let go, when they add up to
        // 1% of the resident set (``FreedBytesRelease``): a base is a sixteenth of the zone at
        // 10,000 × 10, and left for the sync loop's release policy, the shards folding within a
        // second or two of each other kept +1 MiB per fold resident until the next release (peak
        // RSS over a 60-s churn +11%; released here, +8.8%).
        let releasedBytes = publication.releasedFoldedBytes
        let returned = freed.withLock { policy -> Int? in
            if rebuilt { policy.release(); return nil }
            let pending = policy.unreleased + releasedBytes
            return policy.freed(releasedBytes) ? pending : nil
        }
        if let returned {
            logger.debug("returned the bases folds replaced to the kernel", metadata: ["freed_mib": "\(returned >> 20)"])
        }
    }

    public func maintain() async {
        await nodeLocal?.run()
    }

    public func stop() async throws {
        try await server.stop()
    }
}
