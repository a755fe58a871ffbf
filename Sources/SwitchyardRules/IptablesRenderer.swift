import SwitchyardLB
import SwitchyardModel

/// Renders plans as `iptables-restore` input with kube-proxy's iptables-mode layout and names
/// (`KUBE-SERVICES`, `KUBE-SVC-…`, `KUBE-SEP-…`, probabilities to 10 decimals): the `chains` model
/// as iptables runs it, for comparison and fidelity. One family per call (`ip6tables-restore` for IPv6).
public enum IptablesRenderer {
    /// The restore text (`*filter` and `*nat`, each ending in `COMMIT`) for the plans of `family`.
    public static func render(_ plans: [ServicePortPlan], family: IPFamily, node: NodeContext, config: ProxyConfig) -> String {
        var writer = Writer(family: family, node: node, config: config)
        for plan in plans.sorted() where plan.family == family { writer.add(plan) }
        return writer.text
    }

    struct Writer {
        let family: IPFamily
        let node: NodeContext
        let config: ProxyConfig
        var filterRules: [String] = []
        var externalRules: [String] = []
        var firewallRules: [String] = []
        var natChains: [String] = []
        var natRules: [String] = []

        init(family: IPFamily, node: NodeContext, config: ProxyConfig) {
            self.family = family
            self.node = node
            self.config = config
        }

        var mark: String { "0x" + String(config.masqueradeMark, radix: 16) }
        var hostMask: String { family == .ipv4 ? "255.255.255.255" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }

        static func comment(_ text: String) -> String {
            text.contains(" ") ? "-m comment --comment \"\(text)\"" : "-m comment --comment \(text)"
        }

        func match(_ plan: ServicePortPlan, destination: IPAddress?, port: Int) -> String {
            let proto = plan.protocol.lowercased
            return "-m \(proto) -p \(proto)" + (destination.map { " -d \($0)" } ?? "") + " --dport \(port)"
        }

        func target(_ endpoint: EndpointAddress) -> String { endpoint.description }

        mutating func add(_ plan: ServicePortPlan) {
            let name = Names.iptablesPortString(plan.name)
            let svc = Names.iptablesServiceChain(plan.name)
            let svl = Names.iptablesLocalChain(plan.name)
            let ext = Names.iptablesExternalChain(plan.name)
            let fw = Names.iptablesFirewallChain(plan.name)
            let usesCluster = plan.internalTrafficPolicy == .cluster || plan.isExternallyAccessible
            let usesLocal = plan.internalTrafficPolicy == .local || plan.shortCircuitsLocalSources
            let hasCluster = usesCluster && !plan.cluster.isEmpty
            let hasLocal = usesLocal && !plan.local.isEmpty
            let externalEntry = plan.external.isEmpty ? nil : ext
            let hasFirewall = plan.restrictsLoadBalancerSources && !plan.loadBalancerIPs.isEmpty

            if hasCluster { natChains.append(svc) }
            if hasLocal { natChains.append(svl) }
            if plan.isExternallyAccessible && plan.hasEndpoints { natChains.append(ext) }
            if hasFirewall && plan.hasEndpoints { natChains.append(fw) }
            for endpoint in plan.reachableEndpoints { natChains.append(Names.iptablesEndpointChain(plan.name, endpoint)) }

            // Entries.
            let internalChain = plan.internalTrafficPolicy == .local ? svl : svc
            if plan.internal.isEmpty {
                let verdict = plan.internal.ifEmpty == .reject ? "REJECT" : "DROP"
                filterRules.append("-A KUBE-SERVICES \(Self.comment("\(name) has no endpoints")) \(match(plan, destination: plan.clusterIP, port: plan.port)) -j \(verdict)")
            } else {
                natRules.append("-A KUBE-SERVICES \(Self.comment("\(name) cluster IP")) \(match(plan, destination: plan.clusterIP, port: plan.port)) -j \(internalChain)")
            }
            let externalVerdict = plan.external.ifEmpty == .reject ? "REJECT" : "DROP"
            for ip in plan.externalIPs {
                if externalEntry != nil && plan.hasEndpoints {
                    natRules.append("-A KUBE-SERVICES \(Self.comment("\(name) external IP")) \(match(plan, destination: ip, port: plan.port)) -j \(ext)")
                }
                if plan.external.isEmpty {
                    externalRules.append("-A KUBE-EXTERNAL-SERVICES \(Self.comment("\(name) has no local endpoints")) \(match(plan, destination: ip, port: plan.port)) -j \(externalVerdict)")
                }
            }
            for ip in plan.loadBalancerIPs {
                if plan.hasEndpoints {
                    natRules.append("-A KUBE-SERVICES \(Self.comment("\(name) loadbalancer IP")) \(match(plan, destination: ip, port: plan.port)) -j \(hasFirewall ? fw : ext)")
                }
                if hasFirewall {
                    firewallRules.append("-A KUBE-PROXY-FIREWALL \(Self.comment("\(name) traffic not accepted by \(fw)")) \(match(plan, destination: ip, port: plan.port)) -j DROP")
                }
                if plan.external.isEmpty {
                    externalRules.append("-A KUBE-EXTERNAL-SERVICES \(Self.comment("\(name) has no local endpoints")) \(match(plan, destination: ip, port: plan.port)) -j \(externalVerdict)")
                }
            }
            if plan.nodePort != 0 {
                if plan.hasEndpoints {
                    natRules.append("-A KUBE-NODEPORTS \(Self.comment(name)) \(match(plan, destination: nil, port: plan.nodePort)) -j \(ext)")
                }
                if plan.external.isEmpty {
                    externalRules.append("-A KUBE-EXTERNAL-SERVICES \(Self.comment("\(name) has no local endpoints")) -m addrtype --dst-type LOCAL \(match(plan, destination: nil, port: plan.nodePort)) -j \(externalVerdict)")
                }
            }

            // KUBE-EXT: masquerade (Cluster) or short-circuit pods and the node (Local), then the endpoints.
            if plan.isExternallyAccessible && plan.hasEndpoints {
                if plan.externalTrafficPolicy == .cluster {
                    natRules.append("-A \(ext) \(Self.comment("masquerade traffic for \(name) external destinations")) -j KUBE-MARK-MASQ")
                    natRules.append("-A \(ext) -j \(svc)")
                } else {
                    for cidr in config.localTrafficCIDRs(of: family, node: node) {
                        natRules.append("-A \(ext) \(Self.comment("pod traffic for \(name) external destinations")) -s \(cidr) -j \(svc)")
                    }
                    natRules.append("-A \(ext) \(Self.comment("masquerade LOCAL traffic for \(name) external destinations")) -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ")
                    natRules.append("-A \(ext) \(Self.comment("route LOCAL traffic for \(name) external destinations")) -m addrtype --src-type LOCAL -j \(svc)")
                    if hasLocal { natRules.append("-A \(ext) -j \(svl)") }
                }
            }
            if hasFirewall && plan.hasEndpoints {
                for range in plan.loadBalancerSourceRanges {
                    natRules.append("-A \(fw) \(Self.comment("\(name) loadbalancer IP")) -s \(range) -j \(ext)")
                }
            }

            // KUBE-SVC / KUBE-SVL: off-cluster masquerade, affinity, cascade.
            func cascade(_ chain: String, _ set: EndpointSet, masquerade: Bool) {
                if masquerade {
                    let source = config.masqueradeAll ? [""] : config.localTrafficCIDRs(of: family, node: node).map { " ! -s \($0)" }
                    for clause in source {
                        natRules.append("-A \(chain) \(Self.comment("\(name) cluster IP")) \(match(plan, destination: plan.clusterIP, port: plan.port))\(clause) -j KUBE-MARK-MASQ")
                    }
                }
                if let timeout = plan.sessionAffinityTimeout {
                    for endpoint in set.endpoints {
                        let sep = Names.iptablesEndpointChain(plan.name, endpoint)
                        natRules.append("-A \(chain) \(Self.comment("\(name) -> \(target(endpoint))")) -m recent --name \(sep) --mask \(hostMask) --rsource --rcheck --seconds \(timeout) --reap -j \(sep)")
                    }
                }
                for (index, endpoint) in set.endpoints.enumerated() {
                    let sep = Names.iptablesEndpointChain(plan.name, endpoint)
                    let probability = ProbabilityCascade.text(index: index, of: set.count).map { " -m statistic --mode random --probability \($0)" } ?? ""
                    natRules.append("-A \(chain) \(Self.comment("\(name) -> \(target(endpoint))"))\(probability) -j \(sep)")
                }
            }
            if hasCluster { cascade(svc, plan.cluster, masquerade: true) }
            if hasLocal { cascade(svl, plan.local, masquerade: false) }

            // KUBE-SEP: hairpin, then DNAT.
            for endpoint in plan.reachableEndpoints {
                let sep = Names.iptablesEndpointChain(plan.name, endpoint)
                natRules.append("-A \(sep) \(Self.comment(name)) -s \(endpoint.ip) -j KUBE-MARK-MASQ")
                let recent = plan.sessionAffinityTimeout != nil ? " -m recent --name \(sep) --mask \(hostMask) --rsource --set" : ""
                let proto = plan.protocol.lowercased
                natRules.append("-A \(sep) \(Self.comment(name)) -m \(proto) -p \(proto)\(recent) -j DNAT --to-destination \(target(endpoint))")
            }
        }

        var text: String {
            var lines = ["*filter"]
            for chain in ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"] {
                lines.append(":\(chain) - [0:0]")
            }
            lines.append("-A KUBE-FORWARD \(Self.comment("kubernetes forwarding rules")) -m mark --mark \(mark)/\(mark) -j ACCEPT")
            lines.append("-A KUBE-FORWARD \(Self.comment("kubernetes forwarding conntrack rule")) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
            lines += filterRules + externalRules + firewallRules
            lines.append("COMMIT")
            lines.append("*nat")
            for chain in ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"] + natChains {
                lines.append(":\(chain) - [0:0]")
            }
            lines.append("-A KUBE-POSTROUTING -m mark ! --mark \(mark)/\(mark) -j RETURN")
            lines.append("-A KUBE-POSTROUTING -j MARK --xor-mark \(mark)")
            lines.append("-A KUBE-POSTROUTING \(Self.comment("kubernetes service traffic requiring SNAT")) -j MASQUERADE --random-fully")
            lines.append("-A KUBE-MARK-MASQ -j MARK --or-mark \(mark)")
            lines += natRules
            let nodePortComment = Self.comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")
            let addresses = node.nodePortAddresses(of: family)
            if addresses.isEmpty {
                // As kube-proxy: never loopback (localhost NodePorts are the userspace proxy's, opt-in).
                let loopback = family == .ipv4 ? "127.0.0.0/8" : "::1/128"
                lines.append("-A KUBE-SERVICES \(nodePortComment) -m addrtype --dst-type LOCAL ! -d \(loopback) -j KUBE-NODEPORTS")
            } else {
                for address in addresses { lines.append("-A KUBE-SERVICES \(nodePortComment) -d \(address) -j KUBE-NODEPORTS") }
            }
            lines.append("COMMIT")
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
