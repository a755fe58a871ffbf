import NIOCore
import SwitchyardDNS
import SwitchyardModel
import SwitchyardSystem

/// How cluster DNS is served, with the meaning of CoreDNS's `kubernetes`, `forward` and `cache`
/// options: the one description of the options `switchyard run` (flags and the `dns:` section) and
/// `switchyard dns` take, parsed and validated here.
public struct DNSSettings: Sendable {
    /// Where names outside the cluster zones go.
    public enum Upstream: Sendable {
        /// The `nameserver`s of /etc/resolv.conf (CoreDNS's `forward . /etc/resolv.conf`).
        case resolvConf
        /// Nowhere: REFUSED.
        case none
        case servers([SocketAddress])
    }

    public var listen: BindAddress
    /// The cluster domains (`--cluster-domain`, repeatable; the first names PTR targets).
    public var zones: [DNSName] = [DNSZoneOptions.clusterLocal]
    public var ttl: UInt32 = 30
    public var pods: PodsMode = .insecure
    public var upstream: Upstream = .resolvConf
    /// Zones forwarded to servers of their own (`--dns-stub-domain ZONE=ADDR[,ADDR]`).
    public var stubDomains: [StubDomain] = []
    /// Entries of the upstream reply cache.
    public var cacheSize = 10_000
    /// The longest a negative upstream reply is cached, in seconds.
    public var negativeTTLCap: UInt32 = 1800
    public var ignoreEmptyService = false
    public var endpointPodNames = false
    /// The nice value of the threads that read UDP queries (`--dns-nice`): below the daemon's other
    /// work, so a sync or a zone fold does not hold queries back on a busy node.
    public var queryThreadNice: Int32 = DNSServerConfiguration.defaultUDPThreadNice
    /// Clients (beyond loopback) whose out-of-zone names are forwarded.
    public var forwardingClients: [CIDR] = []
    /// Node-local autopath (`--dns-autopath`): the node whose pods are the known clients; nil: off.
    public var autopathNode: String?
    /// Node-local DNS on a Service's ClusterIPs (`--dns-cluster-ip-service`); nil: off.
    public var nodeLocal: NodeLocal?

    /// Where node-local DNS sockets live and how a restart hands them over.
    public struct NodeLocal: Sendable {
        /// The Service (kube-system/kube-dns) whose ClusterIPs are answered on the node.
        public var service: ObjectKey
        /// The programmed namespace (the sockets must live where the rules are).
        public var namespace: NetworkNamespace
        /// The Unix socket a replacing daemon takes the sockets from (`--dns-handover-socket`).
        public var handoverPath: String?

        public init(service: ObjectKey, namespace: NetworkNamespace, handoverPath: String?) {
            self.service = service
            self.namespace = namespace
            self.handoverPath = handoverPath
        }
    }

    public init(listen: BindAddress) {
        self.listen = listen
    }

    /// The zone options, validated (TTL range, zones that do not overlap).
    public func zoneOptions(reverseFallthrough: Bool) throws(DNSSettingsError) -> DNSZoneOptions {
        do {
            return try DNSZoneOptions(zones: zones, ttl: ttl, pods: pods, ignoreEmptyService: ignoreEmptyService,
                                      endpointPodNames: endpointPodNames, reverseFallthrough: reverseFallthrough).validated()
        } catch {
            throw .invalid("\(error)")
        }
    }

    /// The default upstream servers, reading `resolvConf` (/etc/resolv.conf's text) when asked to.
    public func upstreamServers(resolvConf: String) -> [SocketAddress] {
        switch upstream {
        case .resolvConf: DNSAddress.nameservers(resolvConf: resolvConf)
        case .none: []
        case .servers(let servers): servers
        }
    }

    /// The forwarder for these settings, nil when nothing is forwarded anywhere.
    public func makeForwarder(resolvConf: String, group: any EventLoopGroup) -> Forwarder? {
        let servers = upstreamServers(resolvConf: resolvConf)
        guard !servers.isEmpty || !stubDomains.isEmpty else { return nil }
        return Forwarder(servers: servers, stubDomains: stubDomains, group: group,
                         cache: ForwarderCache(capacity: cacheSize, negativeTTLCap: negativeTTLCap))
    }

    // MARK: Parsing (flags and the config file)

    /// `--dns-upstream` values: `none`, or addresses (`IP`, `IP:PORT`, `[IPv6]:PORT`).
    public static func upstream(parsing values: [String]) throws(DNSSettingsError) -> Upstream {
        if values.isEmpty { return .resolvConf }
        if values == ["none"] { return .none }
        if values.contains("none") { throw .invalid("upstream 'none' excludes other upstreams") }
        var servers: [SocketAddress] = []
        for value in values {
            do {
                servers.append(try DNSAddress.parse(value))
            } catch {
                throw .invalid("upstream: \(error)")
            }
        }
        return .servers(servers)
    }

    /// `ZONE=ADDR[,ADDR]`, as `--dns-stub-domain` takes it.
    public static func stubDomain(parsing text: String) throws(DNSSettingsError) -> StubDomain {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let zone = DNSName(parts[0]), zone.labelCount > 0 else {
            throw .invalid("stub domain '\(text)' is not ZONE=ADDR[,ADDR]")
        }
        var servers: [SocketAddress] = []
        for item in parts[1].split(separator: ",") {
            do {
                servers.append(try DNSAddress.parse(String(item)))
            } catch {
                throw .invalid("stub domain \(parts[0]): \(error)")
            }
        }
        guard !servers.isEmpty else { throw .invalid("stub domain \(parts[0]) has no server") }
        return StubDomain(zone: zone, servers: servers)
    }

    /// A record TTL, 0...3600 seconds.
    public static func ttl(_ value: Int) throws(DNSSettingsError) -> UInt32 {
        guard (0...3600).contains(value) else { throw .invalid("TTL \(value) is outside 0...3600") }
        return UInt32(value)
    }

    /// A nice value, -20...19.
    public static func nice(_ value: Int) throws(DNSSettingsError) -> Int32 {
        guard (-20...19).contains(value) else { throw .invalid("nice \(value) is outside -20...19") }
        return Int32(value)
    }

    /// `insecure`, `verified` or `disabled`.
    public static func pods(parsing text: String) throws(DNSSettingsError) -> PodsMode {
        guard let mode = PodsMode(rawValue: text) else { throw .invalid("pods must be insecure, verified or disabled, not '\(text)'") }
        return mode
    }

    /// CIDRs of clients whose out-of-zone names are forwarded.
    public static func forwardingClients(parsing values: [String]) throws(DNSSettingsError) -> [CIDR] {
        var result: [CIDR] = []
        for value in values {
            guard let cidr = CIDR(value) else { throw .invalid("forwarding client '\(value)' is not a CIDR") }
            result.append(cidr)
        }
        return result
    }

    /// `--cluster-domain` values as zones.
    public static func zones(parsing values: [String]) throws(DNSSettingsError) -> [DNSName] {
        var zones: [DNSName] = []
        for value in values {
            guard let zone = DNSName(value), zone.labelCount > 0 else { throw .invalid("'\(value)' is not a domain name") }
            zones.append(zone)
        }
        return zones
    }
}

/// DNS settings that cannot be used, and why.
public enum DNSSettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
