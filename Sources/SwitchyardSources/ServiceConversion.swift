import SwitchyardModel

/// Service objects → `Service`: spec and `status.loadBalancer`.
enum ServiceConversion {
    static func service(_ value: APIValue, _ reader: inout FieldReader) -> Service? {
        let meta = ObjectMetadata.read(value, namespaced: true, &reader)
        let spec = reader.mapping(value["spec"], "spec")
        let type = reader.enumValue(
            spec?["type"], "spec.type", ServiceType.self, allowed: ServiceType.allCases) ?? .clusterIP
        let (clusterIPs, isHeadless) = clusterAddresses(spec, &reader)
        let ipFamilies = reader.list(spec?["ipFamilies"], "spec.ipFamilies").enumerated().compactMap { i, item in
            reader.enumValue(item, "spec.ipFamilies[\(i)]", IPFamily.self, allowed: IPFamily.allCases)
        }
        let ports = ports(spec, &reader)
        if spec?["ports"] == nil || spec?["ports"] == .null || spec?["ports"] == .array([]),
           type != .externalName, !isHeadless {
            reader.log.add("spec.ports", "is required (at least one port)")
        }
        let status = reader.mapping(value["status"], "status")
        var service = Service(
            namespace: meta.namespace, name: meta.name, labels: meta.labels, type: type,
            clusterIPs: clusterIPs, isHeadless: isHeadless, ipFamilies: ipFamilies, ports: ports,
            externalIPs: reader.ips(spec?["externalIPs"], "spec.externalIPs"),
            loadBalancerIngress: ingress(status, &reader),
            loadBalancerSourceRanges: reader.cidrs(spec?["loadBalancerSourceRanges"], "spec.loadBalancerSourceRanges"),
            sessionAffinity: sessionAffinity(spec, &reader),
            externalTrafficPolicy: reader.enumValue(
                spec?["externalTrafficPolicy"], "spec.externalTrafficPolicy", TrafficPolicy.self,
                allowed: TrafficPolicy.allCases) ?? .cluster,
            internalTrafficPolicy: reader.enumValue(
                spec?["internalTrafficPolicy"], "spec.internalTrafficPolicy", TrafficPolicy.self,
                allowed: TrafficPolicy.allCases) ?? .cluster,
            healthCheckNodePort: reader.int(spec?["healthCheckNodePort"], "spec.healthCheckNodePort") ?? 0,
            publishNotReadyAddresses: reader.bool(spec?["publishNotReadyAddresses"], "spec.publishNotReadyAddresses") ?? false,
            trafficDistribution: reader.enumValue(
                spec?["trafficDistribution"], "spec.trafficDistribution", TrafficDistribution.self,
                allowed: TrafficDistribution.allCases),
            externalName: reader.string(spec?["externalName"], "spec.externalName").nonEmpty,
            creationTimestamp: value["metadata"]?["creationTimestamp"]?.stringValue.flatMap(RFC3339.secondsSince1970))
        // Not validated here: a typo must not take the Service off the proxy (the planner uses the
        // configured model and the daemon logs the value it ignored).
        service.dispatchAnnotation = meta.annotations[Service.dispatchAnnotationKey]
        return service
    }

    /// `clusterIP` / `clusterIPs`: the first of clusterIPs must be clusterIP; `None` alone means headless.
    private static func clusterAddresses(_ spec: APIValue?, _ reader: inout FieldReader) -> ([IPAddress], Bool) {
        let clusterIP = reader.string(spec?["clusterIP"], "spec.clusterIP")
        let clusterIPTexts = reader.strings(spec?["clusterIPs"], "spec.clusterIPs")
        if let clusterIP, !clusterIP.isEmpty, let first = clusterIPTexts.first, first != clusterIP {
            reader.log.add("spec.clusterIPs[0]", "\"\(first)\" must match spec.clusterIP (\"\(clusterIP)\")")
        }
        let texts = clusterIPTexts.isEmpty ? [clusterIP ?? ""].filter { !$0.isEmpty } : clusterIPTexts
        let field: (Int) -> String = clusterIPTexts.isEmpty ? { _ in "spec.clusterIP" } : { "spec.clusterIPs[\($0)]" }
        var isHeadless = false
        var clusterIPs: [IPAddress] = []
        for (i, text) in texts.enumerated() {
            if text == "None" {
                if texts.count > 1 { reader.log.add(field(i), "\"None\" must be the only entry") }
                isHeadless = true
            } else if let ip = reader.ip(.string(text), field(i)) {
                clusterIPs.append(ip)
            }
        }
        return (clusterIPs, isHeadless)
    }

    /// `spec.ports`; protocol defaults to TCP and targetPort to port (in `ServicePort.init`).
    private static func ports(_ spec: APIValue?, _ reader: inout FieldReader) -> [ServicePort] {
        var ports: [ServicePort] = []
        for (i, item) in reader.list(spec?["ports"], "spec.ports").enumerated() {
            let path = "spec.ports[\(i)]"
            let entry = reader.mapping(item, path)
            let name = reader.string(entry?["name"], "\(path).name") ?? ""
            let proto = reader.enumValue(
                entry?["protocol"], "\(path).protocol", TransportProtocol.self, allowed: TransportProtocol.allCases)
            let port = reader.int(entry?["port"], "\(path).port")
            if entry != nil, entry?["port"] == nil || entry?["port"] == .null { reader.log.add("\(path).port", "is required") }
            let targetPort = reader.portReference(entry?["targetPort"], "\(path).targetPort")
            let nodePort = reader.int(entry?["nodePort"], "\(path).nodePort") ?? 0
            let appProtocol = reader.string(entry?["appProtocol"], "\(path).appProtocol")
            if let port {
                ports.append(ServicePort(
                    name: name, protocol: proto ?? .tcp, port: port, targetPort: targetPort,
                    nodePort: nodePort, appProtocol: appProtocol))
            }
        }
        return ports
    }

    /// `sessionAffinity` with `sessionAffinityConfig.clientIP.timeoutSeconds` (API default 10800).
    private static func sessionAffinity(_ spec: APIValue?, _ reader: inout FieldReader) -> SessionAffinity {
        let affinity = reader.enumValue(
            spec?["sessionAffinity"], "spec.sessionAffinity", AffinityName.self, allowed: AffinityName.allCases)
        let config = reader.mapping(spec?["sessionAffinityConfig"], "spec.sessionAffinityConfig")
        let clientIP = reader.mapping(config?["clientIP"], "spec.sessionAffinityConfig.clientIP")
        let timeout = reader.int(clientIP?["timeoutSeconds"], "spec.sessionAffinityConfig.clientIP.timeoutSeconds")
        if affinity != .clientIP, clientIP != nil {
            reader.log.add("spec.sessionAffinityConfig", "may only be set when spec.sessionAffinity is \"ClientIP\"")
        }
        return affinity == .clientIP ? .clientIP(timeoutSeconds: timeout ?? SessionAffinity.defaultClientIPTimeout) : .none
    }

    /// `status.loadBalancer.ingress`.
    private static func ingress(_ status: APIValue?, _ reader: inout FieldReader) -> [LoadBalancerIngress] {
        let loadBalancer = reader.mapping(status?["loadBalancer"], "status.loadBalancer")
        var ingress: [LoadBalancerIngress] = []
        for (i, item) in reader.list(loadBalancer?["ingress"], "status.loadBalancer.ingress").enumerated() {
            let path = "status.loadBalancer.ingress[\(i)]"
            let entry = reader.mapping(item, path)
            let ip = reader.ip(entry?["ip"], "\(path).ip")
            let hostname = reader.string(entry?["hostname"], "\(path).hostname")
            let ipMode = reader.enumValue(
                entry?["ipMode"], "\(path).ipMode", LoadBalancerIPMode.self, allowed: [.vip, .proxy])
            if entry?["ipMode"] != nil, entry?["ip"] == nil {
                reader.log.add("\(path).ipMode", "may only be set when ip is set")
            }
            ingress.append(LoadBalancerIngress(ip: ip, hostname: hostname.nonEmpty, ipMode: ipMode))
        }
        return ingress
    }
}

/// `spec.sessionAffinity` as spelled in the API.
private enum AffinityName: String, CaseIterable {
    case none = "None"
    case clientIP = "ClientIP"
}
