import Foundation
import SwitchyardLB
import SwitchyardModel
import SwitchyardSources
import Testing
@testable import SwitchyardDaemon

@Suite("Configuration: --config file and flags")
struct ConfigTests {
    static let file = """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        mode: nftables
        syncPeriod: 1m
        minSyncPeriod: 2s
        clusterCIDR: 10.244.0.0/16,fd00:244::/48
        nodePortAddresses: [192.168.0.0/16]
        masqueradeBit: 12
        masqueradeAll: true
        hostnameOverride: Node-A
        healthzBindAddress: 127.0.0.1:20256
        metricsBindAddress: ""
        dispatch: maglev
        dns:
          listen: 127.0.0.1:1053
        """

    @Test("every field of the file is read")
    func parsesEveryField() throws {
        let layer = try ConfigFile.parse(Self.file, file: "proxy.yaml")
        let config = try DaemonConfig(paths: ["m"], layer: layer, hostname: "host")
        #expect(config.syncPeriod == .seconds(60))
        #expect(config.minSyncPeriod == .seconds(2))
        #expect(config.proxy.clusterCIDRs.map(\.description) == ["10.244.0.0/16", "fd00:244::/48"])
        #expect(config.proxy.nodePortAddresses == .cidrs([CIDR("192.168.0.0/16")!]))
        #expect(config.proxy.masqueradeBit == 12)
        #expect(config.proxy.masqueradeAll)
        #expect(config.proxy.nodeName == "node-a")
        #expect(config.proxy.dispatch == .maglev)
        #expect(config.healthzBindAddress?.description == "127.0.0.1:20256")
        #expect(config.metricsBindAddress?.description == "127.0.0.1:10249", "an empty address is kube-proxy's zero value: the default")
        #expect(config.dnsListen?.description == "127.0.0.1:1053")
    }

    @Test("unknown fields are errors that name their path", arguments: zip(
        ["syncPerod: 30s", "dns:\n  listn: 127.0.0.1:53", "nftables:\n  syncPeriod: 30s\n  foo: 1", "conntrak:\n  maxPerCore: 0"],
        ["syncPerod", "dns.listn", "nftables.foo", "conntrak"]))
    func unknownField(text: String, path: String) {
        #expect {
            try ConfigFile.parse("kind: KubeProxyConfiguration\n" + text, file: "proxy.yaml")
        } throws: { error in
            guard let error = error as? ConfigFileError else { return false }
            return error.field == path && error.message.hasPrefix("unknown field") && error.description.hasPrefix("proxy.yaml:")
        }
    }

    @Test("bad values say which field and why", arguments: zip(
        ["syncPeriod: soon", "masqueradeAll: 3", "clusterCIDR: 10.0.0.0/33", "dispatch: fastest", "healthzBindAddress: nowhere"],
        ["syncPeriod", "masqueradeAll", "clusterCIDR", "dispatch", "healthzBindAddress"]))
    func badValue(text: String, path: String) {
        #expect {
            try ConfigFile.parse(text, file: "proxy.yaml")
        } throws: { error in
            (error as? ConfigFileError)?.field == path
        }
    }

    @Test("flags override the file field by field; defaults fill the rest")
    func flagsOverride() throws {
        let file = try ConfigFile.parse("syncPeriod: 10s\nminSyncPeriod: 2s\nmasqueradeBit: 12\n", file: "proxy.yaml")
        var flags = ConfigLayer()
        flags.syncPeriod = .seconds(5)
        flags.hostnameOverride = "node-b"
        let config = try DaemonConfig(paths: ["m"], layer: file.overriding(flags), hostname: "host")
        #expect(config.syncPeriod == .seconds(5))
        #expect(config.minSyncPeriod == .seconds(2))
        #expect(config.proxy.masqueradeBit == 12)
        #expect(config.proxy.nodeName == "node-b")
        #expect(config.healthzBindAddress?.description == "0.0.0.0:10256")
        #expect(config.metricsBindAddress?.description == "127.0.0.1:10249")
        #expect(config.dnsListen?.description == "127.0.0.1:5353")
        #expect(config.healthTimeout == .seconds(10))
    }

    @Test("defaults: node name is the hostname, kube-proxy's periods and addresses")
    func defaults() throws {
        let config = try DaemonConfig(paths: ["m"], layer: ConfigLayer(), hostname: "worker-1")
        #expect(config.proxy.nodeName == "worker-1")
        #expect(config.syncPeriod == .seconds(30))
        #expect(config.minSyncPeriod == .seconds(1))
        #expect(config.proxy.nodePortAddresses == .primary)
    }

    @Test("a min sync period above the sync period is refused")
    func periodsChecked() {
        var layer = ConfigLayer()
        layer.minSyncPeriod = .seconds(60)
        #expect(throws: DaemonConfigError.self) { try DaemonConfig(paths: ["m"], layer: layer, hostname: "h") }
    }

    @Test("Go durations", arguments: zip(["30s", "1m30s", "100ms", "1h", "0", "1.5s"], [30.0, 90, 0.1, 3600, 0, 1.5]))
    func durations(text: String, seconds: Double) {
        #expect(GoDuration.parse(text) == .nanoseconds(Int64((seconds * 1e9).rounded())))
    }

    /// What `kubeadm init` (v1.31) writes into the kube-proxy ConfigMap's config.conf, byte for byte
    /// (with a pod subnet): every field of KubeProxyConfiguration, zero values for the unset ones.
    static let kubeadmDefault: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/kubeadm-v1.31-kube-proxy-config.conf").standardized.path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "missing fixture \(path)"
    }()

    @Test("the config kubeadm generates loads: zero values are defaults, the kubeconfig is read, the rest is listed as unused (issue 16, item 1)")
    func kubeadmDefaultConfig() throws {
        let layer = try ConfigFile.parse(Self.kubeadmDefault, file: "/var/lib/kube-proxy/config.conf")
        #expect(layer.kubeconfig == "/var/lib/kube-proxy/kubeconfig.conf")
        let config = try DaemonConfig(paths: ["m"], layer: layer, hostname: "node-1")
        #expect(config.syncPeriod == .seconds(30), "0s is kube-proxy's zero value, not a period")
        #expect(config.minSyncPeriod == .seconds(1))
        #expect(config.healthzBindAddress?.description == "0.0.0.0:10256")
        #expect(config.metricsBindAddress?.description == "127.0.0.1:10249")
        #expect(config.proxy.masqueradeBit == 14)
        #expect(!config.proxy.masqueradeAll)
        #expect(config.proxy.clusterCIDRs.map(\.description) == ["10.244.0.0/16"])
        #expect(config.proxy.nodeName == "node-1")
        #expect(config.proxy.nodePortAddresses == .primary)
        #expect(Set(layer.unusedFields) == ["bindAddress", "bindAddressHardFail", "configSyncPeriod", "detectLocal",
                                            "enableProfiling", "logging", "portRange",
                                            "showHiddenMetricsForVersion", "winkernel", "ipvs.strictARP"])
        #expect(config.proxy.detectLocal == .clusterCIDR, "detectLocalMode \"\" is kube-proxy's default")
        #expect(config.oomScoreAdj == -999, "oomScoreAdj null: kube-proxy's -999")
        // conntrack: nulls take kube-proxy's defaults, 0s leaves the UDP timeouts alone.
        let sysctls = config.conntrack.sysctls(cpus: 2, global: true).map { "\($0.name)=\($0.value)" }
        #expect(sysctls == ["net.netfilter.nf_conntrack_max=131072", "net.netfilter.nf_conntrack_tcp_timeout_established=86400",
                            "net.netfilter.nf_conntrack_tcp_timeout_close_wait=3600"])
        #expect(config.conntrack.sysctls(cpus: 2, global: false).count == 2, "the table size is host-wide: never from another namespace")
    }

    @Test("autopath: it needs DNS and this node's pods, which it then follows (not all pods); node-local DNS needs nftables")
    func autopathAndNodeLocalRequirements() throws {
        var layer = ConfigLayer()
        layer.dnsAutopath = true
        let connection = KubernetesConnection(server: "https://127.0.0.1:6443")
        let config = try DaemonConfig(paths: [], layer: layer, hostname: "node-1", kubernetes: connection, watchPods: false)
        #expect(config.dns?.autopathNode == "node-1")
        #expect(config.kubernetes?.resources.contains { $0.fieldSelector?.contains("spec.nodeName=node-1") == true } == true,
                "this node's pods only")
        #expect(throws: DaemonConfigError.self) {
            try DaemonConfig(paths: [], layer: layer, hostname: "node-1", kubernetes: connection, watchPods: false, podsDisabled: true)
        }
        var local = ConfigLayer()
        local.dnsClusterIPService = "kube-system/kube-dns"
        local.proxyMode = .iptables
        #expect(throws: DaemonConfigError.self) { try DaemonConfig(paths: ["m"], layer: local, hostname: "node-1") }
        local.proxyMode = .nftables
        let nodeLocal = try DaemonConfig(paths: ["m"], layer: local, hostname: "node-1")
        #expect(nodeLocal.proxy.localDNS?.service == ObjectKey(namespace: "kube-system", name: "kube-dns"))
        #expect(nodeLocal.dns?.nodeLocal?.handoverPath == "/run/switchyard/dns-handover.sock")
    }

    @Test("conntrack settings and detectLocalMode as kube-proxy reads them; interface-based detection is refused with its path")
    func conntrackAndDetectLocal() throws {
        let layer = try ConfigFile.parse("""
            kind: KubeProxyConfiguration
            detectLocalMode: NodeCIDR
            conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 2h, tcpCloseWaitTimeout: 0s, tcpBeLiberal: true, udpTimeout: 45s}
            """, file: "c")
        let config = try DaemonConfig(paths: ["m"], layer: layer, hostname: "node-1")
        #expect(config.proxy.detectLocal == .nodeCIDR)
        let sysctls = config.conntrack.sysctls(cpus: 8, global: true).map { "\($0.name)=\($0.value)" }
        #expect(sysctls == ["net.netfilter.nf_conntrack_tcp_timeout_established=7200", "net.netfilter.nf_conntrack_tcp_be_liberal=1",
                            "net.netfilter.nf_conntrack_udp_timeout=45"], "maxPerCore 0 and 0s leave those alone")
        #expect(throws: ConfigFileError.self) {
            try ConfigFile.parse("kind: KubeProxyConfiguration\ndetectLocalMode: BridgeInterface\n", file: "c")
        }
        do {
            _ = try ConfigFile.parse("kind: KubeProxyConfiguration\nconntrack: {udpTimeot: 1s}\n", file: "c")
            Issue.record("a misspelt conntrack field loads")
        } catch {
            #expect("\(error)".contains("conntrack.udpTimeot"), "\(error)")
        }
    }

    @Test("mode ipvs takes the IPVS scheduler as the dispatch model; per-mode sections set the periods")
    func ipvsAndModeSections() throws {
        let layer = try ConfigFile.parse("""
            kind: KubeProxyConfiguration
            mode: ipvs
            ipvs: {scheduler: mh, strictARP: true}
            iptables: {syncPeriod: 45s, masqueradeBit: 0}
            """, file: "c")
        #expect(layer.dispatch == .maglev)
        #expect(layer.syncPeriod == .seconds(45))
        #expect(layer.unusedFields == ["ipvs.strictARP"])
        #expect(throws: ConfigFileError.self) { try ConfigFile.parse("mode: ipvs\nipvs: {scheduler: lc}", file: "c") }
    }

    @Test("the dns section configures DNS as CoreDNS is configured: domains, TTL, pods, upstreams, stub domains, cache (issue 14, item 2)")
    func dnsSection() throws {
        let layer = try ConfigFile.parse("""
            kind: KubeProxyConfiguration
            dns:
              clusterDomains: [example.internal, cluster.local]
              ttl: 5
              pods: disabled
              upstreams: [192.0.2.53, "[2001:db8::53]:5353"]
              stubDomains: {corp.example: [10.0.0.10, 10.0.0.11]}
              cacheSize: 100
              negativeTTL: 30
              ignoreEmptyService: true
            """, file: "c")
        let dns = try #require(try DaemonConfig(paths: ["m"], layer: layer, hostname: "n").dns)
        #expect(dns.zones.map(\.description) == ["example.internal.", "cluster.local."])
        #expect(dns.ttl == 5)
        #expect(dns.pods == .disabled)
        #expect(dns.upstreamServers(resolvConf: "nameserver 9.9.9.9").map { "\($0)" }.count == 2)
        #expect(dns.stubDomains.map(\.zone.description) == ["corp.example."])
        #expect(dns.stubDomains.first?.servers.count == 2)
        #expect(dns.cacheSize == 100 && dns.negativeTTLCap == 30 && dns.ignoreEmptyService)
        #expect(throws: DaemonConfigError.self) {
            try DaemonConfig(paths: ["m"], layer: try ConfigFile.parse("dns: {stubDomains: {corp.example: [nowhere]}}", file: "c"), hostname: "n")
        }
    }

    @Test("the UDP query threads' nice value: -10 unless dns.nice says otherwise, within -20...19")
    func dnsNice() throws {
        let unset = try #require(try DaemonConfig(paths: ["m"], layer: ConfigLayer(), hostname: "n").dns)
        #expect(unset.queryThreadNice == -10)
        let zero = try #require(try DaemonConfig(paths: ["m"], layer: try ConfigFile.parse("dns: {nice: 0}", file: "c"), hostname: "n").dns)
        #expect(zero.queryThreadNice == 0)
        #expect(throws: DaemonConfigError.self) {
            try DaemonConfig(paths: ["m"], layer: try ConfigFile.parse("dns: {nice: -21}", file: "c"), hostname: "n")
        }
    }

    @Test("an explicit masqueradeBit 0 is bit 0, not kube-proxy's unset value (null)")
    func masqueradeBitZero() throws {
        #expect(try ConfigFile.parse("masqueradeBit: 0", file: "c").masqueradeBit == 0)
        #expect(try ConfigFile.parse("iptables: {masqueradeBit: 0}", file: "c").masqueradeBit == 0)
        #expect(try ConfigFile.parse("masqueradeBit: null", file: "c").masqueradeBit == nil)
    }
}
