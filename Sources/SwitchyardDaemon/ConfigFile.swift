import Foundation
import SwitchyardLB
import SwitchyardModel
import Yams

/// A problem in the `--config` file, with the field path it is at.
public struct ConfigFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// Dotted field path (`dns.listen`), empty for the document itself.
    public var field: String
    public var line: Int?
    public var message: String

    public var description: String {
        "\(file)" + (line.map { ":\($0)" } ?? "") + (field.isEmpty ? "" : ": \(field)") + ": \(message)"
    }
}

/// The `--config FILE`: a kube-proxy `KubeProxyConfiguration` (the fields Switchyard uses) plus
/// Switchyard's `dispatch` and `dns` section. Unknown fields are errors, so a typo is not silently
/// ignored.
///
/// ```yaml
/// apiVersion: kubeproxy.config.k8s.io/v1alpha1
/// kind: KubeProxyConfiguration
/// mode: nftables
/// syncPeriod: 30s
/// minSyncPeriod: 1s
/// clusterCIDR: 10.244.0.0/16,fd00:10:244::/56
/// nodePortAddresses: [primary]
/// masqueradeBit: 14
/// masqueradeAll: false
/// hostnameOverride: node-a
/// healthzBindAddress: 0.0.0.0:10256
/// metricsBindAddress: 127.0.0.1:10249
/// nftables: {syncPeriod: 30s, minSyncPeriod: 1s, masqueradeBit: 14, masqueradeAll: false}
/// dispatch: maglev
/// dns: {enabled: true, listen: 127.0.0.1:5353}
/// ```
public enum ConfigFile {
    /// Reads and parses `path`.
    public static func load(path: String) throws(ConfigFileError) -> ConfigLayer {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(file: path, field: "", line: nil, message: "cannot be read (missing, unreadable or not UTF-8)")
        }
        return try parse(text, file: path)
    }

    /// Parses the YAML (or JSON) text of a config file.
    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> ConfigLayer {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigFileError(file: file, field: "", line: nil, message: "is not valid YAML: \(error)")
        }
        guard let root else { return ConfigLayer() }
        var reader = Reader(file: file)
        return try reader.read(root)
    }

    struct Reader {
        let file: String

        func error(_ field: String, _ node: Yams.Node?, _ message: String) -> ConfigFileError {
            ConfigFileError(file: file, field: field, line: node?.mark.map { $0.line }, message: message)
        }

        func fields(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> [(String, Yams.Node)] {
            guard let mapping = node.mapping else { throw error(path, node, "must be a mapping") }
            var result: [(String, Yams.Node)] = []
            for (key, value) in mapping {
                guard let name = key.string else { throw error(path, key, "has a key that is not a string") }
                result.append((name, value))
            }
            return result
        }

        func string(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> String {
            guard let scalar = node.scalar else { throw error(path, node, "must be a string") }
            return scalar.string
        }

        /// A list of strings (a single string counts as a list of one).
        func strings(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> [String] {
            if node.scalar != nil { return [try string(node, path)] }
            guard let items = node.sequence else { throw error(path, node, "must be a list of strings") }
            var result: [String] = []
            for (index, item) in items.enumerated() { result.append(try string(item, "\(path)[\(index)]")) }
            return result
        }

        func int(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> Int {
            guard let value = node.int else { throw error(path, node, "must be an integer") }
            return value
        }

        func bool(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> Bool {
            guard let value = node.bool else { throw error(path, node, "must be true or false") }
            return value
        }

        func duration(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> Duration {
            let text = try string(node, path)
            guard let value = GoDuration.parse(text), value >= .zero else {
                throw error(path, node, "must be a duration such as 30s, 1m or 100ms, not '\(text)'")
            }
            return value
        }

        /// Fields of kube-proxy's `KubeProxyConfiguration` (v1alpha1) that Switchyard accepts without
        /// using: a file kubeadm generated loads, and the daemon lists them once at start.
        static let knownUnused: Set<String> = [
            "bindAddress", "bindAddressHardFail", "configSyncPeriod", "detectLocal",
            "enableProfiling", "featureGates", "logging", "portRange", "showHiddenMetricsForVersion",
            "winkernel", "windowsRunAsService",
        ]

        /// kube-proxy writes unset fields as zero values (`""`, `0s`, `0`, `null`): they mean "the
        /// default". `masqueradeBit` is the exception: kube-proxy leaves it null when unset, and 0 is bit 0.
        func isUnset(_ node: Yams.Node, field: String) -> Bool {
            if node.tag.description.hasSuffix(":null") || node.null != nil { return true }
            guard let scalar = node.scalar else { return false }
            return scalar.string.isEmpty || scalar.string == "0s" || (scalar.string == "0" && field != "masqueradeBit")
        }

        /// One of kube-proxy's per-mode sections (`iptables`, `nftables`): its sync periods and
        /// masquerade settings, zero values left unset.
        func modeSection(_ node: Yams.Node, _ name: String, into layer: inout ConfigLayer) throws(ConfigFileError) {
            for (field, item) in try fields(node, name) where !isUnset(item, field: field) {
                let path = "\(name).\(field)"
                switch field {
                case "syncPeriod": layer.syncPeriod = try duration(item, path)
                case "minSyncPeriod": layer.minSyncPeriod = try duration(item, path)
                case "masqueradeBit": layer.masqueradeBit = try int(item, path)
                case "masqueradeAll": layer.masqueradeAll = try bool(item, path)
                case "localhostNodePorts" where name == "iptables": layer.unusedFields.append(path)
                default: throw error(path, item, "unknown field (known: syncPeriod, minSyncPeriod, masqueradeBit, masqueradeAll)")
                }
            }
        }

        mutating func read(_ root: Yams.Node) throws(ConfigFileError) -> ConfigLayer {
            var layer = ConfigLayer()
            var iptables = ConfigLayer()
            var nftables = ConfigLayer()
            var mode = ""
            var ipvsScheduler: (String, Yams.Node)?
            for (name, value) in try fields(root, "") {
                if Self.knownUnused.contains(name) {
                    layer.unusedFields.append(name)
                    continue
                }
                // kube-proxy's zero values ("", 0s, null) mean the default, not "disabled".
                if isUnset(value, field: name), !["apiVersion", "kind", "mode"].contains(name) { continue }
                switch name {
                case "apiVersion":
                    let version = try string(value, name)
                    guard version.hasPrefix("kubeproxy.config.k8s.io/") else {
                        throw error(name, value, "must be kubeproxy.config.k8s.io/v1alpha1, not '\(version)'")
                    }
                case "kind":
                    guard try string(value, name) == "KubeProxyConfiguration" else {
                        throw error(name, value, "must be KubeProxyConfiguration")
                    }
                case "mode":
                    mode = try string(value, name)
                    guard mode.isEmpty || ["nftables", "ipvs", "iptables", "userspace"].contains(mode) else {
                        throw error(name, value, "mode must be nftables, iptables, userspace, ipvs (an IPVS-style scheduler in nftables) "
                            + "or empty (nftables), not '\(mode)'")
                    }
                    // kube-proxy's "" is iptables on Linux; Switchyard's is its nftables engine.
                    layer.proxyMode = mode == "iptables" ? .iptables : mode == "userspace" ? .userspace : .nftables
                    if mode == "ipvs" { layer.ipvsRequested = true }
                case "clientConnection":
                    for (field, item) in try fields(value, name) where !isUnset(item, field: field) {
                        if field == "kubeconfig" { layer.kubeconfig = try string(item, "\(name).\(field)") } else { layer.unusedFields.append("\(name).\(field)") }
                    }
                case "iptables": try modeSection(value, name, into: &iptables)
                case "oomScoreAdj": layer.oomScoreAdj = try int(value, name)
                case "detectLocalMode":
                    let text = try string(value, name)
                    guard let detection = LocalTrafficDetection(rawValue: text) else {
                        throw error(name, value, "Switchyard detects local traffic by ClusterCIDR or NodeCIDR, not '\(text)' (interface-based detection is not implemented)")
                    }
                    layer.detectLocalMode = detection
                case "conntrack":
                    // Here 0 and 0s mean "leave the kernel's value", as in kube-proxy; only null is unset.
                    for (field, item) in try fields(value, name) where item.null == nil && !item.tag.description.hasSuffix(":null") {
                        let path = "\(name).\(field)"
                        switch field {
                        case "maxPerCore": layer.conntrack.maxPerCore = try int(item, path)
                        case "min": layer.conntrack.min = try int(item, path)
                        case "tcpEstablishedTimeout": layer.conntrack.tcpEstablishedTimeout = try duration(item, path)
                        case "tcpCloseWaitTimeout": layer.conntrack.tcpCloseWaitTimeout = try duration(item, path)
                        case "tcpBeLiberal": layer.conntrack.tcpBeLiberal = try bool(item, path)
                        case "udpTimeout": layer.conntrack.udpTimeout = try duration(item, path)
                        case "udpStreamTimeout": layer.conntrack.udpStreamTimeout = try duration(item, path)
                        default: throw error(path, item, "unknown field (known: maxPerCore, min, tcpEstablishedTimeout, tcpCloseWaitTimeout, "
                            + "tcpBeLiberal, udpTimeout, udpStreamTimeout)")
                        }
                    }
                case "ipvs":
                    for (field, item) in try fields(value, name) where !isUnset(item, field: field) {
                        if field == "scheduler" { ipvsScheduler = (try string(item, "ipvs.scheduler"), item) } else { layer.unusedFields.append("ipvs.\(field)") }
                    }
                case "syncPeriod": layer.syncPeriod = try duration(value, name)
                case "minSyncPeriod": layer.minSyncPeriod = try duration(value, name)
                case "clusterCIDR": layer.clusterCIDRs = try cidrs(value, name)
                case "serviceCIDR": layer.serviceCIDRs = try cidrs(value, name)
                case "nodePortAddresses":
                    guard let items = value.sequence else { throw error(name, value, "must be a list of CIDRs or 'primary'") }
                    var addresses: [String] = []
                    for (index, item) in items.enumerated() { addresses.append(try string(item, "\(name)[\(index)]")) }
                    do {
                        _ = try NodePortAddresses(parsing: addresses)
                    } catch {
                        throw self.error(name, value, "\(error)")
                    }
                    layer.nodePortAddresses = addresses
                case "masqueradeBit": layer.masqueradeBit = try int(value, name)
                case "masqueradeAll": layer.masqueradeAll = try bool(value, name)
                case "hostnameOverride": layer.hostnameOverride = try string(value, name)
                case "healthzBindAddress": layer.healthzBindAddress = try bindAddress(value, name)
                case "metricsBindAddress": layer.metricsBindAddress = try bindAddress(value, name)
                case "nftables": try modeSection(value, name, into: &nftables)
                case "dispatch":
                    let text = try string(value, name)
                    do {
                        layer.dispatch = try DispatchModel(parsing: text)
                    } catch {
                        throw self.error(name, value, "\(error)")
                    }
                case "dns":
                    for (field, item) in try fields(value, name) {
                        let path = "\(name).\(field)"
                        switch field {
                        case "enabled": layer.dnsEnabled = try bool(item, path)
                        case "listen": layer.dnsListen = try bindAddress(item, path)
                        case "forwardClients": layer.dnsForwardClients = try cidrs(item, path)
                        case "clusterDomains": layer.dnsClusterDomains = try strings(item, path)
                        case "ttl": layer.dnsTTL = try int(item, path)
                        case "pods": layer.dnsPods = try string(item, path)
                        case "upstreams": layer.dnsUpstreams = try strings(item, path)
                        case "stubDomains":
                            var stubs: [String] = []
                            for (zone, servers) in try fields(item, path) {
                                stubs.append(zone + "=" + (try strings(servers, "\(path).\(zone)")).joined(separator: ","))
                            }
                            layer.dnsStubDomains = stubs
                        case "cacheSize": layer.dnsCacheSize = try int(item, path)
                        case "negativeTTL": layer.dnsNegativeTTL = try int(item, path)
                        case "ignoreEmptyService": layer.dnsIgnoreEmptyService = try bool(item, path)
                        case "endpointPodNames": layer.dnsEndpointPodNames = try bool(item, path)
                        case "clusterIPService": layer.dnsClusterIPService = try string(item, path)
                        case "autopath": layer.dnsAutopath = try bool(item, path)
                        case "nice": layer.dnsNice = try int(item, path)
                        case "handoverSocket": layer.dnsHandoverSocket = try string(item, path)
                        default: throw error(path, item, "unknown field (known: enabled, listen, forwardClients, clusterDomains, ttl, pods, "
                            + "upstreams, stubDomains, cacheSize, negativeTTL, ignoreEmptyService, endpointPodNames, clusterIPService, "
                            + "handoverSocket, autopath, nice)")
                        }
                    }
                default:
                    throw error(name, value, "unknown field: not a KubeProxyConfiguration field (Switchyard reads apiVersion, kind, mode, "
                        + "syncPeriod, minSyncPeriod, clusterCIDR, serviceCIDR, nodePortAddresses, masqueradeBit, masqueradeAll, "
                        + "hostnameOverride, healthzBindAddress, metricsBindAddress, clientConnection.kubeconfig, iptables, nftables, "
                        + "ipvs.scheduler, dispatch, dns, and accepts kube-proxy's other fields)")
                }
            }
            // The section of the mode in force wins over the top level, as in kube-proxy (mode ""
            // is iptables on Linux); Switchyard reads both per-mode sections, nftables last.
            for section in mode == "nftables" ? [iptables, nftables] : [nftables, iptables] {
                layer.syncPeriod = section.syncPeriod ?? layer.syncPeriod
                layer.minSyncPeriod = section.minSyncPeriod ?? layer.minSyncPeriod
                layer.masqueradeBit = section.masqueradeBit ?? layer.masqueradeBit
                layer.masqueradeAll = section.masqueradeAll ?? layer.masqueradeAll
            }
            layer.unusedFields += iptables.unusedFields
            if let (scheduler, node) = ipvsScheduler {
                if mode == "ipvs" {
                    // This kernel has no IPVS; its schedulers have nftables equivalents.
                    switch scheduler {
                    case "rr": layer.dispatch = layer.dispatch ?? .roundrobin
                    case "sh": layer.dispatch = layer.dispatch ?? .sourcehash
                    case "mh": layer.dispatch = layer.dispatch ?? .maglev
                    default: throw error("ipvs.scheduler", node, "Switchyard has nftables equivalents of rr, sh and mh, not '\(scheduler)'")
                    }
                } else {
                    layer.unusedFields.append("ipvs.scheduler")
                }
            }
            return layer
        }

        func cidrs(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> [CIDR] {
            let text = try string(node, path)
            do {
                return try CIDR.list(parsing: text)
            } catch let failure {
                throw error(path, node, failure.description)
            }
        }

        func bindAddress(_ node: Yams.Node, _ path: String) throws(ConfigFileError) -> String {
            let text = try string(node, path)
            guard text.isEmpty || BindAddress(text) != nil else {
                throw error(path, node, "must be HOST:PORT such as 0.0.0.0:10256 (empty: the default), not '\(text)'")
            }
            return text
        }
    }
}

/// `HOST:PORT` (`[::]:10256` for IPv6).
public struct BindAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, IPAddress(host) != nil || host == "localhost" else { return nil }
        self.host = host
        self.port = port
    }

    /// An address known to be valid.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
