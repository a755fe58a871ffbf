import ServiceLifecycle
import SwitchyardBench
import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import SwitchyardDaemon
import SwitchyardDNS
import SwitchyardModel
import SwitchyardSources
import SwitchyardSystem

/// `switchyard dns`: serves cluster DNS (Service and Pod records as CoreDNS's kubernetes plugin
/// answers them) for the objects in manifests, forwarding other names upstream.
struct DNSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Serve cluster DNS for the objects in manifests (files or directories) until SIGINT/SIGTERM."
    )

    @Argument(help: "Manifest files or directories (kubectl-style YAML/JSON).")
    var paths: [String] = []

    @Option(name: .customLong("listen"), help: "Address to serve UDP and TCP on (IP:PORT or [IPv6]:PORT); repeatable.")
    var listen: [String] = ["127.0.0.1:5353"]

    @Option(name: .customLong("zone"), help: "Cluster zone; repeatable (the first is used for PTR targets).")
    var zones: [String] = ["cluster.local."]

    @Option(help: "TTL of every record, 0-3600 (also the SOA minimum).")
    var ttl: Int = 30

    @Option(help: "Pod records: insecure, verified or disabled.")
    var pods: String = "insecure"

    @Flag(help: "Answer NXDOMAIN for ClusterIP Services without ready endpoints.")
    var ignoreEmptyService = false

    @Flag(help: "Name endpoints without a hostname after their pod instead of their dashed IP.")
    var endpointPodNames = false

    @Option(name: .customLong("upstream"), parsing: .upToNextOption,
            help: "Upstream servers for other names (default: nameservers of /etc/resolv.conf); 'none' refuses them.")
    var upstream: [String] = []

    @Option(name: .customLong("stub-domain"), help: "ZONE=ADDR[,ADDR]: names in ZONE go to these servers; repeatable (CoreDNS stub domains).")
    var stubDomains: [String] = []

    @Option(name: .customLong("forward-client"),
            help: "CIDR of clients, beyond loopback, whose names outside the zones are forwarded upstream; repeatable. Others get REFUSED.")
    var forwardClients: [String] = []

    @Option(help: "Threads that read UDP queries, each with its own socket per address (TCP and forwarding use as many event loops).")
    var threads: Int = 1

    @Option(help: "Nice value of the threads that read UDP queries, -20...19 (default -10; needs CAP_SYS_NICE, else they keep the process's; 0: leave it).")
    var nice: Int = Int(DNSServerConfiguration.defaultUDPThreadNice)

    @Option(help: .hidden)
    var benchmarkServices: Int = 0

    @Option(help: .hidden)
    var benchmarkPods: Int = 0

    /// With `--benchmark-services`: endpoints per Service picked round the Pods, as the daemon
    /// benchmark's cluster has them (the Pods' reverse names then gather several Services' PTRs).
    @Option(help: .hidden)
    var benchmarkEndpoints: Int?

    /// Writes the first zone as an RFC 1035 master file and exits instead of serving: the records a
    /// reference server (Knot DNS in Benchmarks/dns/run.sh) serves for comparison.
    @Option(help: .hidden)
    var writeZone: String?

    func validate() throws {
        guard !paths.isEmpty || benchmarkServices > 0 else { throw ValidationError("give at least one manifest path") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        // TTL, pods mode, zones, upstreams, stub domains, forwarding clients: checked as run checks them.
        do {
            _ = try settings()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "switchyard.dns")
        logger.logLevel = .info
        FileDescriptorLimit.raiseToHardLimit()
        let listenAddresses = try listen.map { try DNSAddress.parse($0) }
        let settings = try settings()
        let resolvConf = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        let upstreams = settings.upstreamServers(resolvConf: resolvConf)
        let options = try settings.zoneOptions(reverseFallthrough: !upstreams.isEmpty)

        if let writeZone {
            guard let store = try await loadOnce(keepPods: false, logger: logger) else {
                throw ZoneWriteError.noObjects(paths: paths)
            }
            try Self.writeMasterFile(to: writeZone, options: options, snapshot: store.snapshot)
            return
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let announce: @Sendable ([String]) -> Void = { addresses in
            print("dns: serving (RSS \(Self.residentMegabytes()) MB) on \(addresses.joined(separator: ", ")) (udp+tcp); "
                  + "upstream: \(upstreams.isEmpty ? "none (REFUSED)" : upstreams.map { "\($0)" }.joined(separator: ", "))")
            fflush(nil)  // flush stdout: the bound address is what a supervisor or test waits for
        }
        if benchmarkServices > 0 {
            try await serveGenerated(options: options, settings: settings, resolvConf: resolvConf, addresses: listenAddresses,
                                     group: group, announce: announce, logger: logger)
            try await group.shutdownGracefully()
            return
        }
        // The composition `switchyard run` uses: the server behind ClusterDNSServer, fed through a
        // ZoneFeed (each manifest change updates the zone name by name), in a ServiceGroup that
        // stops on SIGTERM or SIGINT.
        let feed = ZoneFeed()
        let server = try SwitchyardDNSFrontend(settings: settings, resolvConf: resolvConf, logger: logger,
                                               listen: listenAddresses, udpSocketsPerAddress: threads, group: group)
        let source = ManifestZoneSource(source: ManifestSource(paths: paths, loader: ManifestLoader(logger: logger)), feed: feed,
                                        keepPods: options.pods == .verified, logger: logger)
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: source), .init(service: DNSService(server: server, feed: feed, logger: logger, announce: announce))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
        try await group.shutdownGracefully()
        logger.info("shut down")
    }

    /// `--benchmark-services`: the generated cluster's zone built once and served as it is (nothing
    /// changes, so the cluster objects are dropped once it is built), until SIGINT or SIGTERM.
    private func serveGenerated(options: DNSZoneOptions, settings: DNSSettings, resolvConf: String, addresses: [SocketAddress],
                                group: MultiThreadedEventLoopGroup, announce: @Sendable ([String]) -> Void, logger: Logger) async throws {
        guard let store = try await loadOnce(keepPods: options.pods == .verified, logger: logger) else { return }
        let zone = Self.build(store.snapshot, options: options, logger: logger)
        // Give the memory used while loading and building back to the system.
        Allocator.releaseFreedMemory()
        let server = DNSServer(
            configuration: DNSServerConfiguration(listen: addresses, udpSocketsPerAddress: threads,
                                                  forwardingClients: settings.forwardingClients, udpThreadNice: settings.queryThreadNice),
            zone: zone,
            forwarder: settings.makeForwarder(resolvConf: resolvConf, group: group), group: group, logger: logger)
        announce(try await server.start().map { "\($0)" })
        await Self.waitForTermination()
        logger.info("shutting down")
        try await server.stop()
    }

    /// The options as ``DNSSettings``, the description `switchyard run` shares.
    private func settings() throws -> DNSSettings {
        var settings = DNSSettings(listen: BindAddress(listen.first ?? "") ?? BindAddress(host: "127.0.0.1", port: 5353))
        settings.zones = try DNSSettings.zones(parsing: zones)
        settings.ttl = try DNSSettings.ttl(ttl)
        settings.pods = try DNSSettings.pods(parsing: pods)
        settings.ignoreEmptyService = ignoreEmptyService
        settings.endpointPodNames = endpointPodNames
        settings.queryThreadNice = try DNSSettings.nice(nice)
        settings.upstream = try DNSSettings.upstream(parsing: upstream)
        settings.stubDomains = try stubDomains.map { try DNSSettings.stubDomain(parsing: $0) }
        settings.forwardingClients = try DNSSettings.forwardingClients(parsing: forwardClients)
        return settings
    }

    /// The generated cluster, or the manifests as first loaded (Pods only with `keepPods`); nil when
    /// the manifests yield nothing.
    private func loadOnce(keepPods: Bool, logger: Logger) async throws -> ClusterStore? {
        var store = ClusterStore()
        if benchmarkServices > 0 {
            store.apply(BenchmarkCluster.objects(services: benchmarkServices, pods: benchmarkPods, endpointsPerService: benchmarkEndpoints)
                .lazy.filter { keepPods || $0.kind != .pod }.map(ClusterEvent.added))
        } else {
            var events = ManifestSource(paths: paths, loader: ManifestLoader(logger: logger)).makeAsyncIterator()
            guard let first = try await events.next() else { return nil }
            store.apply(first.filter { keepPods || $0.kind != .pod })
        }
        return store
    }

    /// Writes the first zone of `snapshot` as an RFC 1035 master file (`-` for stdout).
    static func writeMasterFile(to path: String, options: DNSZoneOptions, snapshot: ClusterSnapshot) throws {
        let text = try MasterFile.text(snapshot: snapshot, options: options)
        if path == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ZoneWriteError.cannotWrite(path: path, reason: "\(error)")
        }
    }

    /// Builds a zone and logs its size.
    static func build(_ snapshot: ClusterSnapshot, options: DNSZoneOptions, logger: Logger) -> DNSZone {
        let started = ContinuousClock.now
        let zone = DNSZone(snapshot: snapshot, options: options)
        logger.info("zone built", metadata: [
            "names": "\(zone.nameCount)", "bytes": "\(zone.storageBytes)", "serial": "\(zone.serial)",
            "took": "\(ContinuousClock.now - started)",
        ])
        return zone
    }

    /// Resident memory in MB (0 when unavailable).
    static func residentMegabytes() -> Int {
        (FreedMemoryRelease.residentBytes() ?? 0) / 1_000_000
    }

    /// Returns on the first SIGINT or SIGTERM.
    static func waitForTermination() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { sig in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            return source
        }
        for await _ in stream { break }
        for source in sources { source.cancel() }
    }
}

/// Why `switchyard dns --write-zone` wrote nothing.
enum ZoneWriteError: Error, CustomStringConvertible {
    /// The manifests at these paths yielded no objects.
    case noObjects(paths: [String])
    /// The file could not be written.
    case cannotWrite(path: String, reason: String)

    var description: String {
        switch self {
        case .noObjects(let paths): "no objects in \(paths.joined(separator: ", ")); no zone written"
        case .cannotWrite(let path, let reason): "cannot write the zone to \(path): \(reason)"
        }
    }
}
