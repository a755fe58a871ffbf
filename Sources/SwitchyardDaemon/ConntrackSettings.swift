import Logging
import SwitchyardSystem

/// kube-proxy's `conntrack` settings (config section and `--conntrack-*` flags), applied at start as
/// kube-proxy applies them: the table size (`nf_conntrack_max`, global: only in the host's own
/// namespace) and the per-namespace TCP and UDP timeouts. nil fields take kube-proxy's defaults.
public struct ConntrackSettings: Sendable, Hashable {
    /// Entries per CPU (`maxPerCore`, default 32768; 0 leaves the size alone).
    public var maxPerCore: Int?
    /// The smallest table (`min`, default 131072).
    public var min: Int?
    /// `tcpEstablishedTimeout` (default 24h; 0 leaves it alone).
    public var tcpEstablishedTimeout: Duration?
    /// `tcpCloseWaitTimeout` (default 1h; 0 leaves it alone).
    public var tcpCloseWaitTimeout: Duration?
    /// `tcpBeLiberal`: accept out-of-window TCP packets instead of marking them INVALID (default false).
    public var tcpBeLiberal: Bool?
    /// `udpTimeout` and `udpStreamTimeout` (default 0: left alone).
    public var udpTimeout: Duration?
    public var udpStreamTimeout: Duration?

    public init() {}

    /// This one with every field `other` sets replaced by `other`'s.
    public func overriding(_ other: ConntrackSettings) -> ConntrackSettings {
        var merged = self
        merged.maxPerCore = other.maxPerCore ?? maxPerCore
        merged.min = other.min ?? min
        merged.tcpEstablishedTimeout = other.tcpEstablishedTimeout ?? tcpEstablishedTimeout
        merged.tcpCloseWaitTimeout = other.tcpCloseWaitTimeout ?? tcpCloseWaitTimeout
        merged.tcpBeLiberal = other.tcpBeLiberal ?? tcpBeLiberal
        merged.udpTimeout = other.udpTimeout ?? udpTimeout
        merged.udpStreamTimeout = other.udpStreamTimeout ?? udpStreamTimeout
        return merged
    }

    /// The sysctls to write, in order: `(name, value)`. `global` adds the table size (a host-wide
    /// setting kube-proxy makes from the host's namespace; never from another one).
    public func sysctls(cpus: Int, global: Bool) -> [(name: String, value: String)] {
        var result: [(String, String)] = []
        if global {
            let perCore = maxPerCore ?? 32768
            if perCore > 0 {
                result.append(("net.netfilter.nf_conntrack_max", "\(Swift.max(perCore * Swift.max(1, cpus), min ?? 131_072))"))
            }
        }
        func seconds(_ duration: Duration?, default fallback: Int64) -> Int64 { duration.map { $0.components.seconds } ?? fallback }
        let established = seconds(tcpEstablishedTimeout, default: 86_400)
        if established > 0 { result.append(("net.netfilter.nf_conntrack_tcp_timeout_established", "\(established)")) }
        let closeWait = seconds(tcpCloseWaitTimeout, default: 3_600)
        if closeWait > 0 { result.append(("net.netfilter.nf_conntrack_tcp_timeout_close_wait", "\(closeWait)")) }
        if tcpBeLiberal == true { result.append(("net.netfilter.nf_conntrack_tcp_be_liberal", "1")) }
        let udp = seconds(udpTimeout, default: 0)
        if udp > 0 { result.append(("net.netfilter.nf_conntrack_udp_timeout", "\(udp)")) }
        let udpStream = seconds(udpStreamTimeout, default: 0)
        if udpStream > 0 { result.append(("net.netfilter.nf_conntrack_udp_timeout_stream", "\(udpStream)")) }
        return result
    }

    /// Writes ``sysctls(cpus:global:)`` in `namespace` (the table size only in the current one and
    /// only upwards, as kube-proxy), logging each change; a value that cannot be written is logged
    /// and left (a container without write access to /proc/sys still proxies).
    public func apply(in namespace: NetworkNamespace, cpus: Int, logger: Logger) {
        for (name, value) in sysctls(cpus: cpus, global: namespace.path == nil) {
            do {
                let current = try Sysctl.read(name, in: namespace)
                if current == value { continue }
                if name == "net.netfilter.nf_conntrack_max", let now = Int(current), let wanted = Int(value), now >= wanted { continue }
                try Sysctl.write(name, value, in: namespace)
                logger.info("set \(name)", metadata: ["from": "\(current)", "to": "\(value)", "namespace": "\(namespace)"])
            } catch {
                logger.warning("could not set \(name) (kube-proxy's conntrack settings)", metadata: ["value": "\(value)", "error": "\(error)"])
            }
        }
    }
}
