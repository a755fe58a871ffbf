import SwitchyardModel

/// The outcome of converting one decoded API object.
public enum Conversion: Sendable, Hashable {
    /// A followed kind, converted and valid.
    case object(ClusterObject)
    /// A kind Switchyard does not follow (ConfigMap, Deployment, …).
    case skipped(apiVersion: String, kind: String)
    /// A followed kind with problems; `object` names it, e.g. `Service default/web`.
    case invalid(object: String, problems: [ObjectProblem])
}

/// Converts one decoded Kubernetes object (`APIValue`) into its slim model value, once, at the edge,
/// and validates it. Used by `ManifestLoader` and meant for the API server source as well.
public struct ObjectConverter: Sendable {
    public var validator: ObjectValidator

    /// - Parameter nodePortRange: the cluster's `--service-node-port-range`.
    public init(nodePortRange: ClosedRange<Int> = 30000...32767) {
        self.validator = ObjectValidator(nodePortRange: nodePortRange)
    }

    /// The apiVersion each followed kind is served as.
    public static let followedKinds: [String: (apiVersion: String, kind: ResourceKind)] = [
        "Namespace": ("v1", .namespace),
        "Service": ("v1", .service),
        "Pod": ("v1", .pod),
        "Node": ("v1", .node),
        "EndpointSlice": ("discovery.k8s.io/v1", .endpointSlice),
    ]

    /// Converts and validates one object. Every problem found is reported, not only the first.
    public func convert(_ value: APIValue) -> Conversion {
        var reader = FieldReader()
        guard case .object = value else {
            return .invalid(object: "", problems: [ObjectProblem(field: "", message: "must be a mapping, not \(value.typeDescription)")])
        }
        let apiVersion = reader.string(value["apiVersion"], "apiVersion")
        let kind = reader.string(value["kind"], "kind")
        guard let kind, !kind.isEmpty else {
            if kind == nil, reader.log.isEmpty { reader.log.add("kind", "is required") }
            return .invalid(object: "", problems: reader.log.problems)
        }
        guard let (expectedVersion, resourceKind) = Self.followedKinds[kind] else {
            return .skipped(apiVersion: apiVersion ?? "", kind: kind)
        }
        let name = Self.describe(kind: resourceKind, value)
        guard let apiVersion else {
            if reader.log.isEmpty { reader.log.add("apiVersion", "is required") }
            return .invalid(object: name, problems: reader.log.problems)
        }
        if apiVersion != expectedVersion {
            reader.log.add("apiVersion", "\(kind) is read as apiVersion \(expectedVersion), not \(apiVersion)")
            return .invalid(object: name, problems: reader.log.problems)
        }

        let object: ClusterObject? = switch resourceKind {
        case .namespace: Self.namespace(value, &reader).map(ClusterObject.namespace)
        case .service: Self.service(value, &reader).map(ClusterObject.service)
        case .endpointSlice: Self.endpointSlice(value, &reader).map(ClusterObject.endpointSlice)
        case .pod: Self.pod(value, &reader).map(ClusterObject.pod)
        case .node: Self.node(value, &reader).map(ClusterObject.node)
        }
        var problems = reader.log.problems
        if let object { problems += validator.validate(object) }
        problems = FieldPath.sorted(problems)
        guard let object, problems.isEmpty else { return .invalid(object: name, problems: problems) }
        return .object(object)
    }

    /// `Service default/web`, `Node node-1`; `<unnamed>` when metadata.name is missing.
    static func describe(kind: ResourceKind, _ value: APIValue) -> String {
        let name = value["metadata"]?["name"]?.stringValue ?? "<unnamed>"
        switch kind {
        case .namespace, .node:
            return "\(kind.rawValue) \(name)"
        case .service, .endpointSlice, .pod:
            let namespace = value["metadata"]?["namespace"]?.stringValue ?? "default"
            return "\(kind.rawValue) \(namespace)/\(name)"
        }
    }

    // MARK: - Metadata

    private struct Metadata {
        var name: String
        var namespace: String
        var labels: [String: String]
        var annotations: [String: String]
    }

    /// A missing name is reported and read as ""; the object is still built so that the rest of it is
    /// validated too (the load fails either way).
    private static func metadata(_ value: APIValue, namespaced: Bool, _ reader: inout FieldReader) -> Metadata {
        let meta = reader.mapping(value["metadata"], "metadata")
        let name = reader.string(meta?["name"], "metadata.name")
        var namespace = ""
        if namespaced {
            namespace = reader.string(meta?["namespace"], "metadata.namespace") ?? ""
            if namespace.isEmpty { namespace = "default" }
        }
        let labels = reader.stringMap(meta?["labels"], "metadata.labels")
        let annotations = reader.stringMap(meta?["annotations"], "metadata.annotations")
        if name?.isEmpty ?? true { reader.log.add("metadata.name", "is required") }
        return Metadata(name: name ?? "", namespace: namespace, labels: labels, annotations: annotations)
    }

    // MARK: - Kinds

    private static func namespace(_ value: APIValue, _ reader: inout FieldReader) -> Namespace? {
        let meta = metadata(value, namespaced: false, &reader)
        return Namespace(name: meta.name, labels: meta.labels)
    }

    private static func node(_ value: APIValue, _ reader: inout FieldReader) -> Node? {
        let meta = metadata(value, namespaced: false, &reader)
        let spec = reader.mapping(value["spec"], "spec")
        var podCIDRs = reader.cidrs(spec?["podCIDRs"], "spec.podCIDRs")
        if podCIDRs.isEmpty, let single = reader.cidr(spec?["podCIDR"], "spec.podCIDR") { podCIDRs = [single] }
        let status = reader.mapping(value["status"], "status")
        var addresses: [NodeAddress] = []
        for (i, item) in reader.list(status?["addresses"], "status.addresses").enumerated() {
            let path = "status.addresses[\(i)]"
            let entry = reader.mapping(item, path)
            let type = reader.enumValue(
                entry?["type"], "\(path).type", NodeAddressType.self,
                allowed: [.hostname, .internalIP, .externalIP, .internalDNS, .externalDNS])
            let address = reader.string(entry?["address"], "\(path).address")
            if let type, type == .internalIP || type == .externalIP, let address {
                _ = reader.ip(.string(address), "\(path).address")
            }
            if let type, let address { addresses.append(NodeAddress(type: type, address: address)) }
        }
        return Node(name: meta.name, labels: meta.labels, addresses: addresses, podCIDRs: podCIDRs)
    }

    private static func pod(_ value: APIValue, _ reader: inout FieldReader) -> Pod? {
        let meta = metadata(value, namespaced: true, &reader)
        let spec = reader.mapping(value["spec"], "spec")
        let status = reader.mapping(value["status"], "status")
        let hostname = reader.string(spec?["hostname"], "spec.hostname")
        let subdomain = reader.string(spec?["subdomain"], "spec.subdomain")
        let nodeName = reader.string(spec?["nodeName"], "spec.nodeName")
        let phase = reader.enumValue(
            status?["phase"], "status.phase", PodPhase.self,
            allowed: [.pending, .running, .succeeded, .failed, .unknown])
        let podIP = reader.ip(status?["podIP"], "status.podIP")
        var podIPs: [IPAddress] = []
        for (i, item) in reader.list(status?["podIPs"], "status.podIPs").enumerated() {
            let entry = reader.mapping(item, "status.podIPs[\(i)]")
            if let ip = reader.ip(entry?["ip"], "status.podIPs[\(i)].ip") { podIPs.append(ip) }
        }
        if let podIP {
            if podIPs.isEmpty {
                podIPs = [podIP]
            } else if podIPs[0] != podIP {
                reader.log.add("status.podIPs[0].ip", "\(podIPs[0]) must match status.podIP (\(podIP))")
            }
        }
        return Pod(
            namespace: meta.namespace, name: meta.name, podIPs: podIPs, hostname: hostname.nonEmpty,
            subdomain: subdomain.nonEmpty, nodeName: nodeName.nonEmpty, phase: phase)
    }

    private static func service(_ value: APIValue, _ reader: inout FieldReader) -> Service? {
        let meta = metadata(value, namespaced: true, &reader)
        let spec = reader.mapping(value["spec"], "spec")
        let type = reader.enumValue(
            spec?["type"], "spec.type", ServiceType.self, allowed: ServiceType.allCases) ?? .clusterIP

        // clusterIP / clusterIPs: "None" means headless; the first of clusterIPs is clusterIP.
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
        let ipFamilies = reader.list(spec?["ipFamilies"], "spec.ipFamilies").enumerated().compactMap { i, item in
            reader.enumValue(item, "spec.ipFamilies[\(i)]", IPFamily.self, allowed: IPFamily.allCases)
        }

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

        if spec?["ports"] == nil || spec?["ports"] == .null || spec?["ports"] == .array([]),
           type != .externalName, !isHeadless {
            reader.log.add("spec.ports", "is required (at least one port)")
        }

        let externalIPs = reader.ips(spec?["externalIPs"], "spec.externalIPs")
        let sourceRanges = reader.cidrs(spec?["loadBalancerSourceRanges"], "spec.loadBalancerSourceRanges")

        let affinity = reader.enumValue(
            spec?["sessionAffinity"], "spec.sessionAffinity", AffinityName.self, allowed: AffinityName.allCases)
        let affinityConfig = reader.mapping(spec?["sessionAffinityConfig"], "spec.sessionAffinityConfig")
        let clientIPConfig = reader.mapping(affinityConfig?["clientIP"], "spec.sessionAffinityConfig.clientIP")
        let timeout = reader.int(clientIPConfig?["timeoutSeconds"], "spec.sessionAffinityConfig.clientIP.timeoutSeconds")
        let sessionAffinity: SessionAffinity = affinity == .clientIP
            ? .clientIP(timeoutSeconds: timeout ?? SessionAffinity.defaultClientIPTimeout) : .none
        if affinity != .clientIP, affinityConfig != nil, clientIPConfig != nil {
            reader.log.add("spec.sessionAffinityConfig", "may only be set when spec.sessionAffinity is \"ClientIP\"")
        }

        let externalPolicy = reader.enumValue(
            spec?["externalTrafficPolicy"], "spec.externalTrafficPolicy", TrafficPolicy.self,
            allowed: TrafficPolicy.allCases) ?? .cluster
        let internalPolicy = reader.enumValue(
            spec?["internalTrafficPolicy"], "spec.internalTrafficPolicy", TrafficPolicy.self,
            allowed: TrafficPolicy.allCases) ?? .cluster
        let healthCheckNodePort = reader.int(spec?["healthCheckNodePort"], "spec.healthCheckNodePort") ?? 0
        let publishNotReady = reader.bool(spec?["publishNotReadyAddresses"], "spec.publishNotReadyAddresses") ?? false
        let distribution = reader.enumValue(
            spec?["trafficDistribution"], "spec.trafficDistribution", TrafficDistribution.self,
            allowed: TrafficDistribution.allCases)
        let externalName = reader.string(spec?["externalName"], "spec.externalName")

        let status = reader.mapping(value["status"], "status")
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

        return Service(
            namespace: meta.namespace, name: meta.name, labels: meta.labels, type: type,
            clusterIPs: clusterIPs, isHeadless: isHeadless, ipFamilies: ipFamilies, ports: ports,
            externalIPs: externalIPs, loadBalancerIngress: ingress, loadBalancerSourceRanges: sourceRanges,
            sessionAffinity: sessionAffinity, externalTrafficPolicy: externalPolicy,
            internalTrafficPolicy: internalPolicy, healthCheckNodePort: healthCheckNodePort,
            publishNotReadyAddresses: publishNotReady, trafficDistribution: distribution,
            externalName: externalName.nonEmpty)
    }

    private static func endpointSlice(_ value: APIValue, _ reader: inout FieldReader) -> EndpointSlice? {
        let meta = metadata(value, namespaced: true, &reader)
        let addressType = reader.enumValue(
            value["addressType"], "addressType", EndpointAddressType.self, allowed: [.ipv4, .ipv6, .fqdn])
        if value["addressType"] == nil || value["addressType"] == .null { reader.log.add("addressType", "is required") }

        var endpoints: [Endpoint] = []
        for (i, item) in reader.list(value["endpoints"], "endpoints").enumerated() {
            let path = "endpoints[\(i)]"
            let entry = reader.mapping(item, path)
            let texts = reader.strings(entry?["addresses"], "\(path).addresses")
            var addresses: [IPAddress] = []
            for (j, text) in texts.enumerated() {
                let field = "\(path).addresses[\(j)]"
                if addressType == .fqdn {
                    if let message = DNSName.subdomainProblem(text) { reader.log.add(field, message) }
                } else if let ip = reader.ip(.string(text), field) {
                    addresses.append(ip)
                }
            }
            if entry != nil, texts.isEmpty { reader.log.add("\(path).addresses", "must have at least one address") }
            let conditionsValue = reader.mapping(entry?["conditions"], "\(path).conditions")
            let conditions = EndpointConditions(
                ready: reader.bool(conditionsValue?["ready"], "\(path).conditions.ready"),
                serving: reader.bool(conditionsValue?["serving"], "\(path).conditions.serving"),
                terminating: reader.bool(conditionsValue?["terminating"], "\(path).conditions.terminating"))
            let hostname = reader.string(entry?["hostname"], "\(path).hostname")
            let nodeName = reader.string(entry?["nodeName"], "\(path).nodeName")
            let zone = reader.string(entry?["zone"], "\(path).zone")
            var hints: EndpointHints?
            if let hintsValue = reader.mapping(entry?["hints"], "\(path).hints") {
                hints = EndpointHints(
                    forZones: names(hintsValue["forZones"], "\(path).hints.forZones", &reader),
                    forNodes: names(hintsValue["forNodes"], "\(path).hints.forNodes", &reader))
            }
            var targetRef: ObjectReference?
            if let ref = reader.mapping(entry?["targetRef"], "\(path).targetRef") {
                targetRef = ObjectReference(
                    kind: reader.string(ref["kind"], "\(path).targetRef.kind") ?? "",
                    namespace: reader.string(ref["namespace"], "\(path).targetRef.namespace") ?? "",
                    name: reader.string(ref["name"], "\(path).targetRef.name") ?? "")
            }
            endpoints.append(Endpoint(
                addresses: addresses, conditions: conditions, hostname: hostname.nonEmpty,
                nodeName: nodeName.nonEmpty, zone: zone.nonEmpty, hints: hints, targetRef: targetRef))
        }

        var ports: [EndpointPort] = []
        for (i, item) in reader.list(value["ports"], "ports").enumerated() {
            let path = "ports[\(i)]"
            let entry = reader.mapping(item, path)
            let proto = reader.enumValue(
                entry?["protocol"], "\(path).protocol", TransportProtocol.self, allowed: TransportProtocol.allCases)
            ports.append(EndpointPort(
                name: reader.string(entry?["name"], "\(path).name") ?? "", protocol: proto ?? .tcp,
                port: reader.int(entry?["port"], "\(path).port"),
                appProtocol: reader.string(entry?["appProtocol"], "\(path).appProtocol")))
        }

        guard let addressType else { return nil }
        let triggerTime = meta.annotations[WellKnownLabel.lastChangeTriggerTime].flatMap(RFC3339.secondsSince1970)
        return EndpointSlice(
            namespace: meta.namespace, name: meta.name, labels: meta.labels, addressType: addressType,
            endpoints: endpoints, ports: ports, lastChangeTriggerTime: triggerTime)
    }

    /// `[{name: …}]` as in `hints.forZones`.
    private static func names(_ value: APIValue?, _ path: String, _ reader: inout FieldReader) -> [String] {
        reader.list(value, path).enumerated().compactMap { i, item in
            reader.string(reader.mapping(item, "\(path)[\(i)]")?["name"], "\(path)[\(i)].name")
        }
    }
}

/// `spec.sessionAffinity` as spelled in the API.
private enum AffinityName: String, CaseIterable {
    case none = "None"
    case clientIP = "ClientIP"
}

extension Optional where Wrapped == String {
    /// nil for a missing or empty string.
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
