import SwitchyardModel

/// The semantic rules the API server (and Switchyard) apply to converted objects: ranges, names,
/// families, duplicates and cross-field constraints. Syntax (IPs, CIDRs, enum spellings, types) is
/// checked while converting, because the model cannot hold invalid text.
public struct ObjectValidator: Sendable {
    /// The cluster's NodePort range (`--service-node-port-range`).
    public var nodePortRange: ClosedRange<Int>

    public init(nodePortRange: ClosedRange<Int> = 30000...32767) {
        self.nodePortRange = nodePortRange
    }

    /// Every problem of `object`, in field order.
    public func validate(_ object: ClusterObject) -> [ObjectProblem] {
        var log = ProblemLog()
        switch object {
        case .namespace(let namespace):
            checkName(DNSName.labelProblem, namespace.name, &log)
        case .node(let node):
            checkName(DNSName.subdomainProblem, node.name, &log)
        case .pod(let pod):
            validate(pod, &log)
        case .service(let service):
            validate(service, &log)
        case .endpointSlice(let slice):
            validate(slice, &log)
        case .serviceCIDR(let range):
            checkName(DNSName.subdomainProblem, range.name, &log)
            if range.cidrs.isEmpty { log.add("spec.cidrs", "needs at least one CIDR") }
            if range.cidrs.count > 2 || Set(range.cidrs.map(\.family)).count < range.cidrs.count {
                log.add("spec.cidrs", "holds at most one CIDR per IP family")
            }
        }
        return log.problems
    }

    private func check(_ problem: String?, _ field: String, _ log: inout ProblemLog) {
        if let problem { log.add(field, problem) }
    }

    /// Object names; an empty name is the converter's "is required" problem, not repeated here.
    private func checkName(_ problem: (String) -> String?, _ name: String, _ log: inout ProblemLog) {
        if !name.isEmpty { check(problem(name), "metadata.name", &log) }
    }

    private func checkNamespace(_ namespace: String, _ log: inout ProblemLog) {
        check(DNSName.labelProblem(namespace), "metadata.namespace", &log)
    }

    private func portRange(_ port: Int, _ field: String, _ log: inout ProblemLog) {
        if !(1...65535).contains(port) { log.add(field, "\(port) is out of range 1-65535") }
    }

    // MARK: - Pod

    private func validate(_ pod: Pod, _ log: inout ProblemLog) {
        checkName(DNSName.subdomainProblem, pod.name, &log)
        checkNamespace(pod.namespace, &log)
        if let hostname = pod.hostname { check(DNSName.labelProblem(hostname), "spec.hostname", &log) }
        if let subdomain = pod.subdomain { check(DNSName.labelProblem(subdomain), "spec.subdomain", &log) }
        if pod.podIPs.count > 1, Set(pod.podIPs.map(\.family)).count != pod.podIPs.count {
            log.add("status.podIPs", "must hold at most one address of each family")
        }
    }

    // MARK: - Service

    private func validate(_ service: Service, _ log: inout ProblemLog) {
        checkName(DNSName.rfc1035LabelProblem, service.name, &log)
        checkNamespace(service.namespace, &log)
        validateAddressing(service, &log)
        validatePorts(service, &log)

        if case .clientIP(let timeout) = service.sessionAffinity, !(1...86400).contains(timeout) {
            log.add("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "\(timeout) is out of range 1-86400")
        }
        let external = service.type == .nodePort || service.type == .loadBalancer
        if service.externalTrafficPolicy == .local, !external, service.externalIPs.isEmpty {
            log.add("spec.externalTrafficPolicy", "\"Local\" may only be set when type is NodePort or LoadBalancer or the Service has externalIPs")
        }
        if service.healthCheckNodePort != 0 {
            if !nodePortRange.contains(service.healthCheckNodePort) {
                log.add("spec.healthCheckNodePort", "\(service.healthCheckNodePort) is out of the node port range \(nodePortRange.lowerBound)-\(nodePortRange.upperBound)")
            }
            if service.type != .loadBalancer || service.externalTrafficPolicy != .local {
                log.add("spec.healthCheckNodePort", "may only be set when type is LoadBalancer and externalTrafficPolicy is Local")
            }
        }
        if !service.loadBalancerSourceRanges.isEmpty, service.type != .loadBalancer {
            log.add("spec.loadBalancerSourceRanges", "may only be set when type is LoadBalancer")
        }
        for (i, ingress) in service.loadBalancerIngress.enumerated() {
            if let hostname = ingress.hostname {
                check(DNSName.subdomainProblem(hostname), "status.loadBalancer.ingress[\(i)].hostname", &log)
            }
        }
    }

    private func validateAddressing(_ service: Service, _ log: inout ProblemLog) {
        let ipField: (Int) -> String = { "spec.clusterIPs[\($0)]" }
        if service.type == .externalName {
            if let name = service.externalName {
                let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
                check(DNSName.subdomainProblem(trimmed), "spec.externalName", &log)
            } else {
                log.add("spec.externalName", "is required when type is ExternalName")
            }
            if !service.clusterIPs.isEmpty { log.add("spec.clusterIP", "must not be set when type is ExternalName") }
            return
        }
        if service.ipFamilies.count > 2 { log.add("spec.ipFamilies", "may hold at most two families") }
        if service.ipFamilies.count == 2, service.ipFamilies[0] == service.ipFamilies[1] {
            log.add("spec.ipFamilies[1]", "duplicate family \(service.ipFamilies[1].rawValue)")
        }
        if service.clusterIPs.count > 2 { log.add("spec.clusterIPs", "may hold at most two addresses") }
        if service.clusterIPs.count == 2, service.clusterIPs[0].family == service.clusterIPs[1].family {
            log.add(ipField(1), "\(service.clusterIPs[1]) must be of the other family than \(service.clusterIPs[0]) (dual-stack)")
        }
        for (i, ip) in service.clusterIPs.enumerated() where i < service.ipFamilies.count {
            if ip.family != service.ipFamilies[i] {
                log.add(ipField(i), "\(ip) is \(ip.family.rawValue) but spec.ipFamilies[\(i)] is \(service.ipFamilies[i].rawValue)")
            }
        }
        if service.isHeadless, service.type != .clusterIP {
            log.add("spec.clusterIP", "\"None\" (headless) requires type ClusterIP")
        }
    }

    private func validatePorts(_ service: Service, _ log: inout ProblemLog) {
        var names: [String: Int] = [:]
        var portProtocols: [String: Int] = [:]
        var nodePorts: [String: Int] = [:]
        for (i, port) in service.ports.enumerated() {
            let path = "spec.ports[\(i)]"
            if port.name.isEmpty {
                if service.ports.count > 1 { log.add("\(path).name", "is required when the Service has more than one port") }
            } else {
                check(DNSName.labelProblem(port.name), "\(path).name", &log)
                if let first = names[port.name] {
                    log.add("\(path).name", "duplicate port name \"\(port.name)\" (also spec.ports[\(first)])")
                } else {
                    names[port.name] = i
                }
            }
            portRange(port.port, "\(path).port", &log)
            let portKey = "\(port.port)/\(port.protocol.rawValue)"
            if let first = portProtocols[portKey] {
                log.add(path, "duplicate port \(portKey) (also spec.ports[\(first)])")
            } else {
                portProtocols[portKey] = i
            }
            switch port.targetPort {
            case .number(let n) where n == port.port && !(1...65535).contains(n):
                break  // targetPort defaulted to (or repeats) the bad port: reported once, at port
            case .number(let n): portRange(n, "\(path).targetPort", &log)
            case .name(let name): check(DNSName.serviceNameProblem(name), "\(path).targetPort", &log)
            }
            if port.nodePort != 0 {
                if service.type == .clusterIP || service.type == .externalName {
                    log.add("\(path).nodePort", "may only be set when type is NodePort or LoadBalancer")
                } else if !nodePortRange.contains(port.nodePort) {
                    log.add("\(path).nodePort", "\(port.nodePort) is out of the node port range \(nodePortRange.lowerBound)-\(nodePortRange.upperBound)")
                }
                let nodePortKey = "\(port.nodePort)/\(port.protocol.rawValue)"
                if let first = nodePorts[nodePortKey] {
                    log.add("\(path).nodePort", "duplicate node port \(nodePortKey) (also spec.ports[\(first)])")
                } else {
                    nodePorts[nodePortKey] = i
                }
            }
        }
    }

    // MARK: - EndpointSlice

    private func validate(_ slice: EndpointSlice, _ log: inout ProblemLog) {
        checkName(DNSName.subdomainProblem, slice.name, &log)
        checkNamespace(slice.namespace, &log)
        for (i, endpoint) in slice.endpoints.enumerated() {
            let path = "endpoints[\(i)]"
            if endpoint.addresses.count > 100 { log.add("\(path).addresses", "may hold at most 100 addresses") }
            if let family = slice.addressType.family {
                for (j, address) in endpoint.addresses.enumerated() where address.family != family {
                    log.add("\(path).addresses[\(j)]", "\(address) is \(address.family.rawValue) but addressType is \(slice.addressType.rawValue)")
                }
            }
            if let hostname = endpoint.hostname { check(DNSName.labelProblem(hostname), "\(path).hostname", &log) }
            if let nodeName = endpoint.nodeName { check(DNSName.subdomainProblem(nodeName), "\(path).nodeName", &log) }
        }
        var names: [String: Int] = [:]
        for (i, port) in slice.ports.enumerated() {
            let path = "ports[\(i)]"
            if !port.name.isEmpty {
                check(DNSName.labelProblem(port.name), "\(path).name", &log)
                if let first = names[port.name] {
                    log.add("\(path).name", "duplicate port name \"\(port.name)\" (also ports[\(first)])")
                } else {
                    names[port.name] = i
                }
            }
            if let number = port.port { portRange(number, "\(path).port", &log) }
        }
    }
}
