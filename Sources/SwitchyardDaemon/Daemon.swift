import Foundation
import Logging
import ServiceLifecycle
import NIOPosix
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardSources
import SwitchyardSystem

/// The composition root of `switchyard run`: builds every part from a ``DaemonConfig`` and runs them
/// as Services in one ServiceGroup that shuts down gracefully on SIGTERM and SIGINT (the rules stay
/// programmed, as kube-proxy leaves them; `switchyard cleanup` removes them).
///
/// Parts: the manifest source → the sync loop (store, plan, rules; the one owner of proxy state) →
/// the kernel; the DNS server fed from the same store; `/healthz` + `/livez`; `/metrics`; the
/// health-check node ports of `externalTrafficPolicy: Local` services.
public struct Daemon: Sendable {
    public var config: DaemonConfig
    public var logger: Logger
    /// Makes the DNS server for a listen address (nil: DNS is not available in this build).
    public var makeDNS: (@Sendable (DNSSettings, DaemonMetrics) throws -> any ClusterDNSServer)?

    public init(
        config: DaemonConfig, logger: Logger,
        makeDNS: (@Sendable (DNSSettings, DaemonMetrics) throws -> any ClusterDNSServer)? = nil
    ) {
        self.config = config
        self.logger = logger
        self.makeDNS = makeDNS
    }

    /// Wall-clock seconds since 1970.
    static let wallClock: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    public func run() async throws {
        let metrics = DaemonMetrics()
        let health = HealthState(timeout: Double(config.healthTimeout.nanoseconds) / 1e9, now: Self.wallClock)
        var servers: [HTTPServer] = []
        if let address = config.healthzBindAddress {
            servers.append(try await bind(address, "healthz", HealthEndpoints.healthResponder(health: health, metrics: metrics)))
        }
        if let address = config.metricsBindAddress {
            servers.append(try await bind(address, "metrics", HealthEndpoints.metricsResponder(health: health, metrics: metrics)))
        }
        if let failure = OOMScore.set(config.oomScoreAdj) {
            logger.warning("could not set oom_score_adj", metadata: ["value": "\(config.oomScoreAdj)", "error": "\(String(cString: strerror(failure)))"])
        }
        let (conntrack, namespace) = (config.conntrack, config.namespace)
        try await NIOThreadPool.singleton.runIfActive { [logger] in
            conntrack.apply(in: namespace, cpus: ProcessInfo.processInfo.activeProcessorCount, logger: logger)
        }
        if let localDNS = config.proxy.localDNS {
            // Marked queries are delivered to the node (the transparent sockets on the ClusterIPs).
            try await installLocalDeliveryRoute(mark: localDNS.mark, for: "node-local DNS for \(localDNS.service)")
        }

        let syncInput = SyncLoopInput()
        // One thread for the API connections, the informers and the sync loop (PinnedService).
        let pipelineLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pipeline = EventLoopTaskExecutor(eventLoop: pipelineLoops.next())
        let (healthChecks, healthChecksInput) = AsyncStream<[ServiceHealthCheck]>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if var kubernetes = config.kubernetes {
            kubernetes.logger = logger
            kubernetes.availability = { kind, available in metrics.collection(kind, available: available) }
            kubernetes.eventLoopGroup = pipeline.eventLoop
            services.append(.init(
                service: PinnedService(
                    base: EventSourceService(kubernetes: KubernetesSource(configuration: kubernetes), output: syncInput, logger: logger),
                    executor: pipeline),
                serviceName: "kubernetes"))
        } else {
            let loader = ManifestLoader(nodePortRange: config.nodePortRange, logger: logger)
            services.append(.init(
                service: EventSourceService(
                    manifests: ManifestSource(paths: config.paths, loader: loader, pollInterval: config.pollInterval,
                                              observer: { metrics.manifestsLoaded($0) }),
                    output: syncInput, logger: logger),
                serviceName: "manifests"))
        }

        var zoneFeed: ZoneFeed?
        var dnsService: DNSService?
        if let settings = config.dns {
            if let makeDNS {
                let feed = ZoneFeed()
                zoneFeed = feed
                if config.dnsForwardClients.isEmpty {
                    logger.notice("DNS forwards names outside the cluster zones for loopback clients only: set --cluster-cidr or --dns-forward-clients so pods can resolve them")
                }
                dnsService = DNSService(server: try makeDNS(settings, metrics), feed: feed, logger: logger)
            } else {
                logger.warning("DNS is not available in this build; running without it (pass --no-dns to silence this)")
            }
        }

        let outputs = SyncOutputs(logger: logger, metrics: metrics, health: health, healthChecks: healthChecksInput, zoneFeed: zoneFeed)
        let localhost = config.nodePortLocalhost ? [IPAddress("127.0.0.1")!, IPAddress("::1")!] : []
        func sync<Backend: SyncBackend>(_ backend: Backend) {
            if localhost.isEmpty || config.proxyMode == .userspace {
                services.append(.init(service: PinnedService(base: syncLoop(backend, input: syncInput, outputs: outputs), executor: pipeline),
                                      serviceName: "sync"))
            } else {
                let proxy = UserspaceProxy(nodePortAddresses: localhost, logger: logger)
                services.append(.init(
                    service: PinnedService(base: syncLoop(LocalhostNodePorts(backend, proxy: proxy), input: syncInput, outputs: outputs),
                                           executor: pipeline),
                    serviceName: "sync"))
            }
        }
        switch config.proxyMode {
        case .nftables:
            sync(try KernelBackend(namespace: config.namespace, logger: logger))
        case .iptables:
            sync(try IptablesBackend(namespace: config.namespace, config: config.proxy, logger: logger))
        case .userspace:
            let steering = try await userspaceSteering()
            let proxy = UserspaceProxy(nodePortAddresses: config.userspaceListen + localhost, transparent: steering != nil, logger: logger)
            sync(UserspaceBackend(proxy: proxy, steering: steering))
        }
        services.append(.init(service: HTTPServersService(servers: servers), serviceName: "http"))
        services.append(.init(
            service: HealthCheckNodePorts(entries: healthChecks, namespacePath: config.namespace.path, health: health, logger: logger),
            serviceName: "health-check-node-ports"))
        if let dnsService { services.append(.init(service: dnsService, serviceName: "dns")) }

        logger.info("starting", metadata: [
            "node": "\(config.proxy.nodeName)",
            "namespace": "\(config.namespace)",
            "mode": "\(config.proxyMode.rawValue)",
            "dispatch": "\(config.proxy.dispatch)",
            "min_sync_period": "\(GoDuration.format(config.minSyncPeriod))",
            "sync_period": "\(GoDuration.format(config.syncPeriod))",
            "healthz": "\(config.healthzBindAddress?.description ?? "off")",
            "metrics": "\(config.metricsBindAddress?.description ?? "off")",
            "dns": "\(dnsService == nil ? "off" : config.dnsListen?.description ?? "off")",
        ])
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await pipelineLoops.shutdownGracefully()
            throw error
        }
        try? await pipelineLoops.shutdownGracefully()
        logger.info("stopped; the programmed rules stay in place (switchyard cleanup removes them)")
    }

    /// Userspace mode's steering table, when this process may program netfilter: the policy route
    /// installed and the backend that programs the table; nil (said in the log) without CAP_NET_ADMIN.
    private func userspaceSteering() async throws -> KernelBackend? {
        guard Capabilities.isEffective(Capabilities.netAdmin) else {
            logger.notice("userspace mode without CAP_NET_ADMIN: no steering table, so the proxy serves a ClusterIP only where it is delivered locally")
            return nil
        }
        try await installLocalDeliveryRoute(mark: ProxyConfig.LocalDNSDelivery.defaultMark, for: "userspace mode's steering table")
        return try KernelBackend(namespace: config.namespace, logger: logger)
    }

    /// Installs the policy route that delivers packets carrying `mark` to this host.
    private func installLocalDeliveryRoute(mark: UInt32, for purpose: String) async throws {
        let route = LocalDeliveryRoute(mark: mark)
        let namespace = config.namespace
        try await NIOThreadPool.singleton.runIfActive { try route.install(in: namespace) }
        logger.info("\(purpose): policy route in place", metadata: ["route": "\(route)"])
    }

    /// The sync loop over `backend`.
    private func syncLoop<Backend: SyncBackend>(_ backend: Backend, input: SyncLoopInput, outputs: SyncOutputs)
        -> SyncLoop<ContinuousClock, Backend> {
        SyncLoop(
            input: input, clock: ContinuousClock(),
            syncer: Syncer(backend: backend, config: config.proxy, wallClock: Self.wallClock),
            minSyncPeriod: config.minSyncPeriod, syncPeriod: config.syncPeriod, fullSyncPeriod: config.fullSyncPeriod,
            outputs: outputs)
    }

    private func bind(_ address: BindAddress, _ what: String, _ responder: @escaping HTTPRequestResponder) async throws -> HTTPServer {
        do {
            let server = try await HTTPServer.bind(host: address.host, port: address.port, responder: responder)
            logger.info("serving \(what)", metadata: ["address": "\(address)"])
            return server
        } catch {
            throw DaemonStartError.bind(what: what, address: address, reason: "\(error)")
        }
    }
}

/// The daemon could not start.
public enum DaemonStartError: Error, CustomStringConvertible {
    case bind(what: String, address: BindAddress, reason: String)

    public var description: String {
        switch self {
        case .bind(let what, let address, let reason):
            "cannot serve \(what) on \(address): \(reason) — another process (kube-proxy?) may hold the port; "
                + "choose another address or pass an empty one to disable it"
        }
    }
}
