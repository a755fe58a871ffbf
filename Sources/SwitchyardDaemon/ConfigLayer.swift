import SwitchyardLB
import SwitchyardModel

/// One source of settings — the config file or the command line — with nil for "not said here".
/// Layers merge field by field (``overriding(_:)``); what no layer says takes the default in
/// ``DaemonConfig``.
public struct ConfigLayer: Sendable, Hashable {
    public var syncPeriod: Duration?
    public var minSyncPeriod: Duration?
    public var clusterCIDRs: [CIDR]?
    public var serviceCIDRs: [CIDR]?
    public var nodePortAddresses: [String]?
    public var masqueradeBit: Int?
    public var masqueradeAll: Bool?
    public var hostnameOverride: String?
    public var healthzBindAddress: String?
    public var metricsBindAddress: String?
    public var dispatch: DispatchModel?
    public var dnsEnabled: Bool?
    public var dnsListen: String?
    public var dnsForwardClients: [CIDR]?
    /// The rest of the DNS settings, as given (``DNSSettings`` parses them).
    public var dnsClusterDomains: [String]?
    public var dnsTTL: Int?
    public var dnsPods: String?
    public var dnsUpstreams: [String]?
    public var dnsStubDomains: [String]?
    public var dnsCacheSize: Int?
    public var dnsNegativeTTL: Int?
    public var dnsIgnoreEmptyService: Bool?
    public var dnsEndpointPodNames: Bool?
    /// `--dns-nice` / `dns.nice`.
    public var dnsNice: Int?
    /// Node-local autopath (`--dns-autopath`).
    public var dnsAutopath: Bool?
    /// `NAMESPACE/NAME` of the Service whose ClusterIPs node-local DNS answers (kube-system/kube-dns).
    public var dnsClusterIPService: String?
    /// The Unix socket node-local DNS sockets are handed over on.
    public var dnsHandoverSocket: String?
    public var serviceProxyName: String?
    /// `--proxy-mode` / `mode`.
    public var proxyMode: ProxyMode?
    /// `--userspace-listen`.
    public var userspaceListen: [IPAddress]?
    /// `--nodeport-localhost`.
    public var nodePortLocalhost: Bool?
    /// `mode: ipvs` / `--proxy-mode ipvs` was asked for (run as nftables with the IPVS-style model).
    public var ipvsRequested: Bool?
    /// `--maglev-hash-flows`.
    public var maglevHashesFlows: Bool?
    /// `oomScoreAdj` (`--oom-score-adj`).
    public var oomScoreAdj: Int?
    /// `detectLocalMode`.
    public var detectLocalMode: LocalTrafficDetection?
    /// The `conntrack` section, field by field.
    public var conntrack = ConntrackSettings()
    /// `clientConnection.kubeconfig`: follow the API server of this kubeconfig (a `--kubeconfig`
    /// flag wins).
    public var kubeconfig: String?
    /// kube-proxy fields present in the file that Switchyard does not use (logged once at start).
    public var unusedFields: [String] = []

    public init() {}

    /// This layer with every field that `other` sets replaced by `other`'s (flags override the file).
    public func overriding(_ other: ConfigLayer) -> ConfigLayer {
        var merged = self
        merged.syncPeriod = other.syncPeriod ?? syncPeriod
        merged.minSyncPeriod = other.minSyncPeriod ?? minSyncPeriod
        merged.clusterCIDRs = other.clusterCIDRs ?? clusterCIDRs
        merged.serviceCIDRs = other.serviceCIDRs ?? serviceCIDRs
        merged.nodePortAddresses = other.nodePortAddresses ?? nodePortAddresses
        merged.masqueradeBit = other.masqueradeBit ?? masqueradeBit
        merged.masqueradeAll = other.masqueradeAll ?? masqueradeAll
        merged.hostnameOverride = other.hostnameOverride ?? hostnameOverride
        merged.healthzBindAddress = other.healthzBindAddress ?? healthzBindAddress
        merged.metricsBindAddress = other.metricsBindAddress ?? metricsBindAddress
        merged.dispatch = other.dispatch ?? dispatch
        merged.dnsEnabled = other.dnsEnabled ?? dnsEnabled
        merged.dnsListen = other.dnsListen ?? dnsListen
        merged.dnsForwardClients = other.dnsForwardClients ?? dnsForwardClients
        merged.dnsClusterDomains = other.dnsClusterDomains ?? dnsClusterDomains
        merged.dnsTTL = other.dnsTTL ?? dnsTTL
        merged.dnsPods = other.dnsPods ?? dnsPods
        merged.dnsUpstreams = other.dnsUpstreams ?? dnsUpstreams
        merged.dnsStubDomains = other.dnsStubDomains ?? dnsStubDomains
        merged.dnsCacheSize = other.dnsCacheSize ?? dnsCacheSize
        merged.dnsNegativeTTL = other.dnsNegativeTTL ?? dnsNegativeTTL
        merged.dnsIgnoreEmptyService = other.dnsIgnoreEmptyService ?? dnsIgnoreEmptyService
        merged.dnsEndpointPodNames = other.dnsEndpointPodNames ?? dnsEndpointPodNames
        merged.dnsNice = other.dnsNice ?? dnsNice
        merged.detectLocalMode = other.detectLocalMode ?? detectLocalMode
        merged.oomScoreAdj = other.oomScoreAdj ?? oomScoreAdj
        merged.maglevHashesFlows = other.maglevHashesFlows ?? maglevHashesFlows
        merged.proxyMode = other.proxyMode ?? proxyMode
        merged.ipvsRequested = other.ipvsRequested ?? ipvsRequested
        merged.userspaceListen = other.userspaceListen ?? userspaceListen
        merged.nodePortLocalhost = other.nodePortLocalhost ?? nodePortLocalhost
        merged.conntrack = conntrack.overriding(other.conntrack)
        merged.dnsClusterIPService = other.dnsClusterIPService ?? dnsClusterIPService
        merged.dnsAutopath = other.dnsAutopath ?? dnsAutopath
        merged.dnsHandoverSocket = other.dnsHandoverSocket ?? dnsHandoverSocket
        merged.serviceProxyName = other.serviceProxyName ?? serviceProxyName
        merged.kubeconfig = other.kubeconfig ?? kubeconfig
        merged.unusedFields = unusedFields + other.unusedFields
        return merged
    }
}
