import SwitchyardDNS
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardSources
import SwitchyardSystem

/// Everything `switchyard run` needs, resolved: defaults, then the config file, then flags.
public struct DaemonConfig: Sendable {
    /// Manifest files and directories to follow (empty when following the API server).
    public var paths: [String]
    /// Follow this API server instead of manifests (`--kubeconfig` / `--in-cluster`).
    public var kubernetes: KubernetesSource.Configuration?
    /// Node name, NodePort addresses, cluster CIDRs, masquerade settings, dispatch model.
    public var proxy: ProxyConfig
    /// Full resync against the kernel (repairs drift); also 1/2 of the health timeout.
    public var syncPeriod: Duration
    /// How often a full sync re-plans everything and reads the tables back (kube-proxy: an hour,
    /// fixed); between them, each sync period only checks the ruleset generation for drift.
    public var fullSyncPeriod: Duration = .seconds(3600)
    /// Syncs start at most this often; changes in between are coalesced.
    public var minSyncPeriod: Duration
    /// `/healthz`, `/livez`; nil disables.
    public var healthzBindAddress: BindAddress?
    /// `/metrics`; nil disables.
    public var metricsBindAddress: BindAddress?
    /// Which kernel interface programs the rules.
    public var proxyMode: ProxyMode = .nftables
    /// Userspace mode: addresses whose NodePorts it also serves (`--userspace-listen`, e.g. 127.0.0.1).
    public var userspaceListen: [IPAddress] = []
    /// Localhost NodePorts (`--nodeport-localhost`, TCP and UDP), served by the userspace proxy in any
    /// mode: 127.0.0.1 and ::1. Off by default (CVE-2020-8558).
    public var nodePortLocalhost = false
    /// This process's OOM score adjustment, set at start (kube-proxy: -999).
    public var oomScoreAdj = -999
    /// kube-proxy's conntrack settings, applied at start.
    public var conntrack = ConntrackSettings()
    /// The namespace programmed (and where health-check node ports listen).
    public var namespace: NetworkNamespace
    /// Where DNS listens; nil disables DNS.
    public var dnsListen: BindAddress?
    /// Everything DNS is served with; nil disables DNS.
    public var dns: DNSSettings?
    /// Clients whose out-of-zone names are forwarded, beyond loopback: the cluster CIDRs and
    /// `dns.forwardClients`.
    public var dnsForwardClients: [CIDR]
    /// How often manifests are checked for changes.
    public var pollInterval: Duration
    /// The cluster's NodePort range (manifest validation).
    public var nodePortRange: ClosedRange<Int>

    public static let defaultSyncPeriod: Duration = .seconds(30)
    public static let defaultMinSyncPeriod: Duration = .seconds(1)
    public static let defaultHealthz = "0.0.0.0:10256"
    public static let defaultMetrics = "127.0.0.1:10249"
    public static let defaultDNSListen = "127.0.0.1:5353"

    /// Resolves `layer` (file overridden by flags) with the defaults; `hostname` is the default node name.
    public init(
        paths: [String], layer: ConfigLayer, hostname: String, namespace: NetworkNamespace = .current,
        pollInterval: Duration = .milliseconds(500), nodePortRange: ClosedRange<Int> = 30000...32767,
        kubernetes: KubernetesConnection? = nil, watchPods: Bool = true, podsDisabled: Bool = false
    ) throws(DaemonConfigError) {
        guard !paths.isEmpty || kubernetes != nil else { throw .noManifests }
        guard paths.isEmpty || kubernetes == nil else {
            throw .invalid("follow either manifests or the API server (--kubeconfig / --in-cluster), not both")
        }
        self.paths = paths
        let nodePortAddresses: NodePortAddresses
        do {
            nodePortAddresses = try NodePortAddresses(parsing: layer.nodePortAddresses ?? [])
        } catch {
            throw .proxy(error)
        }
        let nodeName = (layer.hostnameOverride?.isEmpty == false ? layer.hostnameOverride : nil) ?? hostname
        proxy = ProxyConfig(
            nodeName: nodeName.lowercased(), nodePortAddresses: nodePortAddresses, clusterCIDRs: layer.clusterCIDRs ?? [],
            masqueradeAll: layer.masqueradeAll ?? false, masqueradeBit: layer.masqueradeBit ?? 14,
            dispatch: layer.dispatch ?? .default, serviceProxyName: layer.serviceProxyName.flatMap { $0.isEmpty ? nil : $0 })
        proxy.serviceCIDRs = layer.serviceCIDRs ?? []
        proxy.detectLocal = layer.detectLocalMode ?? .clusterCIDR
        proxy.maglevHashesFlows = layer.maglevHashesFlows ?? false
        proxyMode = layer.proxyMode ?? .nftables
        userspaceListen = layer.userspaceListen ?? []
        nodePortLocalhost = layer.nodePortLocalhost ?? false
        if proxyMode == .userspace, namespace.path != nil {
            throw .invalid("userspace mode listens in the daemon's own namespace: run it there (ip netns exec) instead of --netns")
        }
        if nodePortLocalhost, namespace.path != nil {
            throw .invalid("--nodeport-localhost listens in the daemon's own namespace: run it there (ip netns exec) instead of --netns")
        }
        conntrack = layer.conntrack
        if let adjustment = layer.oomScoreAdj {
            guard (-1000...1000).contains(adjustment) else { throw .invalid("oomScoreAdj \(adjustment) is outside -1000...1000") }
            oomScoreAdj = adjustment
        }
        do {
            try proxy.validate()
        } catch {
            throw .proxy(error)
        }
        syncPeriod = layer.syncPeriod ?? Self.defaultSyncPeriod
        minSyncPeriod = layer.minSyncPeriod ?? Self.defaultMinSyncPeriod
        guard syncPeriod > .zero else { throw .invalid("sync period must be positive") }
        guard minSyncPeriod <= syncPeriod else {
            throw .invalid("min sync period (\(GoDuration.format(minSyncPeriod))) must not exceed the sync period (\(GoDuration.format(syncPeriod)))")
        }
        healthzBindAddress = try Self.address(layer.healthzBindAddress ?? Self.defaultHealthz, "healthz bind address")
        metricsBindAddress = try Self.address(layer.metricsBindAddress ?? Self.defaultMetrics, "metrics bind address")
        dnsListen = (layer.dnsEnabled ?? true) ? try Self.address(layer.dnsListen ?? Self.defaultDNSListen, "DNS listen address") : nil
        dnsForwardClients = (layer.clusterCIDRs ?? []) + (layer.dnsForwardClients ?? [])
        let forwardingClients = (layer.clusterCIDRs ?? []) + (layer.dnsForwardClients ?? [])
        if let listen = dnsListen {
            dns = try Self.dnsSettings(listen: listen, layer: layer, forwardingClients: forwardingClients)
        } else {
            dns = nil
        }
        if layer.dnsAutopath == true {
            guard dns != nil else { throw .invalid("autopath needs DNS: drop --no-dns or the listen address ''") }
            guard !podsDisabled else { throw .invalid("autopath knows its clients from this node's pods: drop --pods disabled") }
            dns?.autopathNode = proxy.nodeName
        }
        if let text = layer.dnsClusterIPService, !text.isEmpty {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalid("DNS cluster IP service '\(text)' is not NAMESPACE/NAME (such as kube-system/kube-dns)")
            }
            guard dns != nil else { throw .invalid("node-local DNS (cluster IP service \(text)) needs DNS: drop --no-dns or the listen address ''") }
            guard proxyMode == .nftables else {
                throw .invalid("node-local DNS (cluster IP service \(text)) needs the nftables mode (its rules are nftables rules)")
            }
            let service = ObjectKey(namespace: String(parts[0]), name: String(parts[1]))
            proxy.localDNS = ProxyConfig.LocalDNSDelivery(service: service)
            dns?.nodeLocal = DNSSettings.NodeLocal(
                service: service, namespace: namespace,
                handoverPath: layer.dnsHandoverSocket.map { $0.isEmpty ? nil : $0 } ?? Self.defaultHandoverPath(namespace))
        }
        self.namespace = namespace
        self.pollInterval = pollInterval
        self.nodePortRange = nodePortRange
        self.kubernetes = kubernetes.map {
            var source = KubernetesSource.Configuration(connection: $0, nodeName: proxy.nodeName, watchPods: watchPods, nodePortRange: nodePortRange)
            // Autopath knows its clients from this node's pods alone.
            source.watchLocalPods = dns?.autopathNode != nil
            return source
        }
    }

    private static func address(_ text: String, _ what: String) throws(DaemonConfigError) -> BindAddress? {
        if text.isEmpty { return nil }
        guard let address = BindAddress(text) else { throw .invalid("\(what) '\(text)' is not HOST:PORT") }
        return address
    }

    /// `/run/switchyard/dns-handover.sock`, or `…-NETNS.sock` for a named namespace, so daemons of
    /// different namespaces do not take each other's sockets.
    public static func defaultHandoverPath(_ namespace: NetworkNamespace) -> String {
        guard let path = namespace.path else { return "/run/switchyard/dns-handover.sock" }
        let name = path.split(separator: "/").last.map(String.init) ?? "netns"
        return "/run/switchyard/dns-handover-\(name).sock"
    }

    /// The health timeout: syncs failing (or changes waiting) longer than this make /healthz 503.
    public var healthTimeout: Duration { syncPeriod * 2 }
}

/// Settings that cannot be used.
extension DaemonConfig {
    /// The DNS settings of `layer`, checked.
    static func dnsSettings(listen: BindAddress, layer: ConfigLayer, forwardingClients: [CIDR]) throws(DaemonConfigError) -> DNSSettings {
        var settings = DNSSettings(listen: listen)
        do {
            if let domains = layer.dnsClusterDomains, !domains.isEmpty { settings.zones = try DNSSettings.zones(parsing: domains) }
            if let ttl = layer.dnsTTL { settings.ttl = try DNSSettings.ttl(ttl) }
            if let pods = layer.dnsPods { settings.pods = try DNSSettings.pods(parsing: pods) }
            settings.upstream = try DNSSettings.upstream(parsing: layer.dnsUpstreams ?? [])
            settings.stubDomains = try (layer.dnsStubDomains ?? []).map { text throws(DNSSettingsError) in try DNSSettings.stubDomain(parsing: text) }
            if let size = layer.dnsCacheSize {
                guard size >= 1 else { throw DNSSettingsError.invalid("the cache size must be at least 1") }
                settings.cacheSize = size
            }
            if let ttl = layer.dnsNegativeTTL {
                guard (0...86_400).contains(ttl) else { throw DNSSettingsError.invalid("the negative TTL cap \(ttl) is outside 0...86400") }
                settings.negativeTTLCap = UInt32(ttl)
            }
            settings.ignoreEmptyService = layer.dnsIgnoreEmptyService ?? false
            settings.endpointPodNames = layer.dnsEndpointPodNames ?? false
            if let nice = layer.dnsNice { settings.queryThreadNice = try DNSSettings.nice(nice) }
            settings.forwardingClients = forwardingClients
            _ = try settings.zoneOptions(reverseFallthrough: false)
        } catch let error as DNSSettingsError {
            throw .invalid("DNS: \(error)")
        } catch {
            throw .invalid("DNS: \(error)")
        }
        return settings
    }
}

public enum DaemonConfigError: Error, Sendable, CustomStringConvertible {
    case noManifests
    case proxy(ProxyConfigError)
    case invalid(String)

    public var description: String {
        switch self {
        case .noManifests: "give at least one manifest file or directory to follow, or --kubeconfig FILE / --in-cluster"
        case .proxy(let error): error.description
        case .invalid(let message): message
        }
    }
}
