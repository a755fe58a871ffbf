import ArgumentParser
import Foundation
import Logging
import SwitchyardDaemon
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardRules
import SwitchyardSources
import SwitchyardSystem

/// `switchyard run PATH…` (manifests) or `switchyard run --kubeconfig FILE | --in-cluster` (the API
/// server): the node daemon (kube-proxy + cluster DNS).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the node daemon: follow manifests, program nftables, serve DNS, health and metrics.",
        discussion: """
            Flags override the --config file (a kube-proxy KubeProxyConfiguration). SIGTERM or SIGINT \
            stops the daemon and leaves the rules programmed; `switchyard cleanup` removes them. \
            See docs/operations.md.
            """
    )

    @Argument(help: "Manifest files or directories to follow (reloaded on change); or use --kubeconfig / --in-cluster.")
    var paths: [String] = []

    @Option(help: "Follow the API server of this kubeconfig instead of manifests.")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use (default: its current-context).")
    var context: String?

    @Flag(help: "Follow the API server as a pod does: KUBERNETES_SERVICE_HOST/PORT, the service account's token and CA.")
    var inCluster = false

    @Option(help: "Follow Pods from the API server: auto (only what a DNS feature needs: --dns-autopath follows this node's pods; pod names are answered from the name itself, as CoreDNS's `pods insecure`), enabled (all) or disabled (default auto).")
    var pods: PodsMode = .auto

    enum PodsMode: String, ExpressibleByArgument, CaseIterable {
        case auto, enabled, disabled
    }

    @Option(help: "A KubeProxyConfiguration YAML file; flags override its fields.")
    var config: String?

    @Option(name: [.customLong("node"), .customLong("hostname-override")],
            help: "This node's name: endpoints with this nodeName are local (default: the hostname). kube-proxy's --hostname-override is the same flag.")
    var node: String?

    @Option(name: .customLong("v"), help: "kube-proxy's log verbosity: 0-1 info, 2-3 debug, 4 and above trace (overrides --log-level).")
    var verbosity: Int?

    @Option(help: "Program this network namespace (a name under /var/run/netns, or a path) instead of the current one.")
    var netns: String?

    @Option(name: [.customLong("sync-period"), .customLong("iptables-sync-period"), .customLong("ipvs-sync-period")],
            help: "Full resync against the kernel, repairing drift (Go duration; default 30s). kube-proxy's --iptables-sync-period and --ipvs-sync-period are the same flag.",
            transform: duration)
    var syncPeriod: Duration?

    @Option(name: [.customLong("min-sync-period"), .customLong("iptables-min-sync-period"), .customLong("ipvs-min-sync-period")],
            help: "Start syncs at most this often; changes in between are coalesced (default 1s). kube-proxy's --iptables-min-sync-period and --ipvs-min-sync-period are the same flag.",
            transform: duration)
    var minSyncPeriod: Duration?

    @Option(help: "The API server's URL, overriding the kubeconfig's (or the in-cluster) server, as kube-proxy's --master.")
    var master: String?

    @Option(help: "This process's /proc/self/oom_score_adj, -1000...1000 (default -999, as kube-proxy).")
    var oomScoreAdj: Int?

    @Option(name: [.customLong("feature-gates"), .customLong("bind-address"), .customLong("ipvs-exclude-cidrs"),
                   .customLong("port-range"), .customLong("config-sync-period")],
            parsing: .unconditionalSingleValue,
            help: ArgumentHelp("kube-proxy options Switchyard accepts and does not use (listed once at start).", visibility: .hidden))
    var unusedKubeProxyOptions: [String] = []

    @Flag(name: [.customLong("profiling"), .customLong("logtostderr"), .customLong("alsologtostderr"), .customLong("ipvs-strict-arp")],
          help: ArgumentHelp("kube-proxy switches Switchyard accepts and does not use (listed once at start).", visibility: .hidden))
    var unusedKubeProxySwitches: Int

    /// The kube-proxy flags given that Switchyard does not use, by name.
    static let unusedKubeProxyFlagNames = ["feature-gates", "bind-address", "ipvs-exclude-cidrs", "port-range", "config-sync-period",
                                           "profiling", "logtostderr", "alsologtostderr", "ipvs-strict-arp"]

    @Option(help: "Pod CIDRs, comma-separated: other sources reaching a ClusterIP are masqueraded.")
    var clusterCidr: String?

    @Option(help: "ClusterIP ranges, comma-separated: traffic to an address inside that no Service holds is dropped, as kube-proxy drops it.")
    var serviceCidr: String?

    @Option(help: "Addresses that accept NodePorts: 'primary' (default) or CIDRs, comma-separated.")
    var nodeportAddresses: String?

    @Option(help: "The packet-mark bit that requests masquerade (default 14).")
    var masqueradeBit: Int?

    @Flag(inversion: .prefixedNo, help: "Masquerade all traffic to ClusterIPs.")
    var masqueradeAll: Bool?

    @Option(help: "How a service spreads flows: \(DispatchModel.allCases.map(\.rawValue).joined(separator: ", ")) (default random).")
    var dispatch: String?

    @Option(help: "nftables (default: Switchyard's engine), iptables (kube-proxy's iptables layout through iptables-restore), userspace (a SwiftNIO L4 proxy: no netfilter) or ipvs (nftables with ipvs.scheduler's model: this kernel has no IPVS), as kube-proxy's --proxy-mode.")
    var proxyMode: String?

    @Option(help: "Userspace mode: also serve NodePorts on these addresses (comma-separated; 127.0.0.1 gives localhost NodePorts, TCP and UDP; off by default, CVE-2020-8558).")
    var userspaceListen: String?

    @Flag(help: "Serve NodePorts on 127.0.0.1 and ::1 too, TCP and UDP, through the userspace proxy in any mode (kube-proxy's localhost NodePorts; off by default, CVE-2020-8558).")
    var nodeportLocalhost = false

    @Flag(help: "Maglev hashes the client address and port (each flow on its own) instead of the client address (a client keeps its endpoint, the default).")
    var maglevHashFlows = false

    @Option(help: "How pods are told from other sources (not masqueraded to a ClusterIP, short-circuit externalTrafficPolicy Local): ClusterCIDR (the --cluster-cidr ranges, default) or NodeCIDR (this node's spec.podCIDRs), as kube-proxy's --detect-local-mode.")
    var detectLocalMode: String?

    @Option(help: "Conntrack entries per CPU (nf_conntrack_max, host namespace only, raised never lowered; default 32768; 0 leaves it).")
    var conntrackMaxPerCore: Int?

    @Option(help: "The smallest nf_conntrack_max whatever the CPUs (default 131072).")
    var conntrackMin: Int?

    @Option(help: "nf_conntrack_tcp_timeout_established (Go duration; default 24h; 0 leaves it).", transform: duration)
    var conntrackTcpTimeoutEstablished: Duration?

    @Option(help: "nf_conntrack_tcp_timeout_close_wait (default 1h; 0 leaves it).", transform: duration)
    var conntrackTcpTimeoutCloseWait: Duration?

    @Flag(help: "Set nf_conntrack_tcp_be_liberal: out-of-window TCP packets are not INVALID.")
    var conntrackTcpBeLiberal = false

    @Option(help: "nf_conntrack_udp_timeout (default: left as it is).", transform: duration)
    var conntrackUdpTimeout: Duration?

    @Option(help: "nf_conntrack_udp_timeout_stream (default: left as it is).", transform: duration)
    var conntrackUdpTimeoutStream: Duration?

    @Option(help: "Program exactly the Services labelled service.kubernetes.io/service-proxy-name=NAME (default: those without the label, as kube-proxy), to share a cluster with kube-proxy Service by Service. DNS serves every Service either way.")
    var serviceProxyName: String?

    @Option(help: "HOST:PORT for /healthz and /livez (default 0.0.0.0:10256; empty disables).")
    var healthzBindAddress: String?

    @Option(help: "HOST:PORT for /metrics (default 127.0.0.1:10249; empty disables).")
    var metricsBindAddress: String?

    @Option(help: "HOST:PORT the DNS server listens on, UDP and TCP (default 127.0.0.1:5353).")
    var dnsListen: String?

    @Flag(help: "Do not serve DNS.")
    var noDns = false

    @Option(help: "CIDRs (comma-separated) of clients, beyond loopback and the cluster CIDRs, whose names outside the cluster zones are forwarded upstream; others get REFUSED.")
    var dnsForwardClients: String?

    @Option(help: "A cluster domain DNS answers for (repeatable; default cluster.local; the first names PTR targets), as kubelet's clusterDomain.")
    var clusterDomain: [String] = []

    @Option(help: "TTL of every DNS record, 0-3600 (default 30).")
    var dnsTtl: Int?

    @Option(help: "Pod records: insecure (default), verified or disabled, as CoreDNS's `pods`.")
    var dnsPods: String?

    @Option(parsing: .upToNextOption, help: "Upstream DNS servers for other names (default: /etc/resolv.conf's nameservers); 'none' refuses them.")
    var dnsUpstream: [String] = []

    @Option(help: "ZONE=ADDR[,ADDR]: names in ZONE go to these servers (repeatable), as CoreDNS stub domains.")
    var dnsStubDomain: [String] = []

    @Option(help: "Entries of the upstream reply cache (default 10000).")
    var dnsCacheSize: Int?

    @Option(help: "The longest a negative upstream reply is cached, in seconds (default 1800).")
    var dnsNegativeTtl: Int?

    @Flag(help: "Answer NXDOMAIN for ClusterIP Services without ready endpoints.")
    var dnsIgnoreEmptyService = false

    @Flag(help: "Name endpoints without a hostname after their pod instead of their dashed IP.")
    var dnsEndpointPodNames = false

    @Option(help: "Nice value of the threads that read DNS queries over UDP, -20...19 (default -10: queries go before the daemon's own sync work; needs CAP_SYS_NICE, else they keep the process's; 0: leave it).")
    var dnsNice: Int?

    @Flag(help: "Node-local autopath (CoreDNS's autopath): a local pod's first search-path query for a name that does not exist is completed on the server (…svc.<zone>, <zone>, host search domains, the bare name) and answered with a CNAME to the first name that exists. Watches this node's pods only.")
    var dnsAutopath = false

    @Option(help: "Answer pods' queries to this Service's ClusterIPs (NAMESPACE/NAME, e.g. kube-system/kube-dns; UDP and TCP 53) with this node's DNS while it runs, and let them go to the Service's endpoints when it does not (off by default).")
    var dnsClusterIPService: String?

    @Option(help: "The Unix socket a restarting daemon takes the node-local DNS sockets over on (default /run/switchyard/dns-handover[-NETNS].sock; empty: none).")
    var dnsHandoverSocket: String?

    @Option(help: "How often manifests are checked for changes (default 500ms).", transform: duration)
    var pollInterval: Duration?

    @Option(help: "The cluster's NodePort range, as FIRST-LAST.", transform: NodePortRange.parse)
    var nodePortRange: ClosedRange<Int> = 30000...32767

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "text or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    static func duration(_ text: String) throws -> Duration {
        guard let value = GoDuration.parse(text), value >= .zero else {
            throw ValidationError("'\(text)' is not a duration such as 30s, 1m or 100ms")
        }
        return value
    }

    /// The command line as a config layer (nil where a flag was not given).
    func flagLayer() throws -> ConfigLayer {
        var layer = ConfigLayer()
        layer.syncPeriod = syncPeriod
        layer.minSyncPeriod = minSyncPeriod
        if let clusterCidr {
            do {
                layer.clusterCIDRs = try CIDR.list(parsing: clusterCidr)
            } catch {
                throw ValidationError("--cluster-cidr: \(error)")
            }
        }
        layer.nodePortAddresses = nodeportAddresses.map { [$0] }
        if let serviceCidr {
            do {
                layer.serviceCIDRs = try CIDR.list(parsing: serviceCidr)
            } catch {
                throw ValidationError("--service-cidr: \(error)")
            }
        }
        layer.masqueradeBit = masqueradeBit
        layer.masqueradeAll = masqueradeAll
        layer.hostnameOverride = node
        layer.healthzBindAddress = healthzBindAddress
        layer.metricsBindAddress = metricsBindAddress
        if let dispatch { layer.dispatch = try DispatchModel(parsing: dispatch) }
        if noDns { layer.dnsEnabled = false }
        layer.dnsListen = dnsListen
        if !clusterDomain.isEmpty { layer.dnsClusterDomains = clusterDomain }
        layer.dnsTTL = dnsTtl
        layer.dnsPods = dnsPods
        if !dnsUpstream.isEmpty { layer.dnsUpstreams = dnsUpstream }
        if !dnsStubDomain.isEmpty { layer.dnsStubDomains = dnsStubDomain }
        layer.dnsCacheSize = dnsCacheSize
        layer.dnsNegativeTTL = dnsNegativeTtl
        if dnsIgnoreEmptyService { layer.dnsIgnoreEmptyService = true }
        if dnsEndpointPodNames { layer.dnsEndpointPodNames = true }
        layer.dnsClusterIPService = dnsClusterIPService
        if dnsAutopath { layer.dnsAutopath = true }
        layer.dnsNice = dnsNice
        layer.dnsHandoverSocket = dnsHandoverSocket
        if let dnsForwardClients {
            do {
                layer.dnsForwardClients = try CIDR.list(parsing: dnsForwardClients)
            } catch {
                throw ValidationError("--dns-forward-clients: \(error)")
            }
        }
        layer.serviceProxyName = serviceProxyName
        layer.oomScoreAdj = oomScoreAdj
        if maglevHashFlows { layer.maglevHashesFlows = true }
        if nodeportLocalhost { layer.nodePortLocalhost = true }
        if let userspaceListen {
            var addresses: [IPAddress] = []
            for text in userspaceListen.split(separator: ",") {
                guard let address = IPAddress(String(text.trimmingCharacters(in: .whitespaces))) else {
                    throw ValidationError("--userspace-listen: '\(text)' is not an IP address")
                }
                addresses.append(address)
            }
            layer.userspaceListen = addresses
        }
        if let proxyMode {
            switch proxyMode {
            case "nftables": layer.proxyMode = .nftables
            case "ipvs":
                layer.proxyMode = .nftables
                layer.ipvsRequested = true
            case "iptables": layer.proxyMode = .iptables
            case "userspace": layer.proxyMode = .userspace
            default: throw ValidationError("--proxy-mode: nftables, iptables, userspace or ipvs, not '\(proxyMode)'")
            }
        }
        if let detectLocalMode {
            guard let detection = LocalTrafficDetection(rawValue: detectLocalMode) else {
                throw ValidationError("--detect-local-mode: ClusterCIDR or NodeCIDR, not '\(detectLocalMode)'")
            }
            layer.detectLocalMode = detection
        }
        layer.conntrack.maxPerCore = conntrackMaxPerCore
        layer.conntrack.min = conntrackMin
        layer.conntrack.tcpEstablishedTimeout = conntrackTcpTimeoutEstablished
        layer.conntrack.tcpCloseWaitTimeout = conntrackTcpTimeoutCloseWait
        if conntrackTcpBeLiberal { layer.conntrack.tcpBeLiberal = true }
        layer.conntrack.udpTimeout = conntrackUdpTimeout
        layer.conntrack.udpStreamTimeout = conntrackUdpTimeoutStream
        return layer
    }

    func validate() throws {
        if noDns, dnsListen != nil { throw ValidationError("--no-dns and --dns-listen contradict each other") }
        let followsAPI = kubeconfig != nil || inCluster
        if kubeconfig != nil, inCluster { throw ValidationError("--kubeconfig and --in-cluster exclude each other") }
        if context != nil, kubeconfig == nil { throw ValidationError("--context needs --kubeconfig") }
        if followsAPI, !paths.isEmpty { throw ValidationError("follow either manifest paths or the API server, not both") }
        if !followsAPI, paths.isEmpty, config == nil { throw ValidationError("give manifest paths, --kubeconfig FILE or --in-cluster") }
    }

    func run() async throws {
        let level: Logger.Level = switch verbosity {
        case nil: logLevel
        case let v? where v >= 4: .trace
        case let v? where v >= 2: .debug
        default: .info
        }
        let format = logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                return JSONLogHandler(label: label, level: level)
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let logger = Logger(label: "switchyard")
        if let limits = FileDescriptorLimit.raiseToHardLimit(), limits.after > limits.before {
            logger.info("raised the open-file limit to the hard limit", metadata: ["from": "\(limits.before)", "to": "\(limits.after)"])
        }
        var standardError = StandardError()
        let resolved: DaemonConfig
        do {
            let file = try config.map { path throws(ConfigFileError) in try ConfigFile.load(path: path) } ?? ConfigLayer()
            // kube-proxy's DaemonSet passes --config only: its clientConnection.kubeconfig names the API server.
            let kubeconfigPath = kubeconfig ?? (paths.isEmpty && !inCluster ? file.kubeconfig : nil)
            if kubeconfigPath == nil, !inCluster, paths.isEmpty {
                throw ValidationError("give manifest paths, --kubeconfig FILE, --in-cluster or a --config file with clientConnection.kubeconfig")
            }
            var connection = kubeconfigPath != nil || inCluster
                ? try KubernetesConnection.resolve(kubeconfig: kubeconfigPath, context: context, inCluster: inCluster) : nil
            if let master {
                guard connection != nil else { throw ValidationError("--master needs --kubeconfig, --in-cluster or a --config file with clientConnection.kubeconfig") }
                connection?.server = master
            }
            let unusedFlags = Self.unusedKubeProxyFlagNames.filter { name in
                CommandLine.arguments.contains { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") }
            }.map { "--\($0)" }
            if !file.unusedFields.isEmpty || !unusedFlags.isEmpty {
                logger.info("known to kube-proxy, not used by Switchyard: \((file.unusedFields + unusedFlags).joined(separator: ", "))")
            }
            let layer = file.overriding(try flagLayer())
            if layer.ipvsRequested == true, layer.proxyMode != .iptables {
                logger.notice("mode ipvs runs as nftables with the IPVS-style scheduler of ipvs.scheduler (this kernel has no IPVS, and kube-proxy deprecated the mode)",
                              metadata: ["dispatch": "\(layer.dispatch?.rawValue ?? DispatchModel.default.rawValue)"])
            }
            resolved = try DaemonConfig(
                paths: paths, layer: layer, hostname: Self.hostname(),
                namespace: NetworkNamespace(netns), pollInterval: pollInterval ?? .milliseconds(500),
                nodePortRange: nodePortRange, kubernetes: connection, watchPods: pods == .enabled, podsDisabled: pods == .disabled)
        } catch {
            print("switchyard run: \(error)", to: &standardError)
            throw ExitCode(2)
        }
        do {
            try await Daemon(config: resolved, logger: logger, makeDNS: SwitchyardDNSFrontend.make).run()
        } catch {
            logger.critical("switchyard run stopped: \(error)")
            throw ExitCode.failure
        }
    }

    /// The hostname, lowercased, as kube-proxy's default node name.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.lowercased()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
