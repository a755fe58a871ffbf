import SwitchyardModel

/// EndpointSlice objects (discovery.k8s.io/v1) → `EndpointSlice`.
enum EndpointSliceConversion {
    static func endpointSlice(_ value: APIValue, _ reader: inout FieldReader) -> EndpointSlice? {
        let meta = ObjectMetadata.read(value, namespaced: true, &reader)
        let addressType = reader.enumValue(
            value["addressType"], "addressType", EndpointAddressType.self, allowed: [.ipv4, .ipv6, .fqdn])
        if value["addressType"] == nil || value["addressType"] == .null { reader.log.add("addressType", "is required") }

        let items = reader.list(value["endpoints"], "endpoints")
        // Exactly sized: kept for the slice's lifetime (growth by doubling left 60% unused at 10 endpoints).
        var endpoints: [Endpoint] = []
        endpoints.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            // Field paths are made only for a problem (see FieldReader).
            func path() -> String { "endpoints[\(i)]" }
            let entry = reader.mapping(item, path())
            let texts = reader.strings(entry?["addresses"], "\(path()).addresses")
            var addresses: [IPAddress] = []
            for (j, text) in texts.enumerated() {
                func field() -> String { "\(path()).addresses[\(j)]" }
                if addressType == .fqdn {
                    if let message = DNSName.subdomainProblem(text) { reader.log.add(field(), message) }
                } else if let ip = reader.ip(.string(text), field()) {
                    addresses.append(ip)
                }
            }
            if entry != nil, texts.isEmpty { reader.log.add("\(path()).addresses", "must have at least one address") }
            let conditionsValue = reader.mapping(entry?["conditions"], "\(path()).conditions")
            let conditions = EndpointConditions(
                ready: reader.bool(conditionsValue?["ready"], "\(path()).conditions.ready"),
                serving: reader.bool(conditionsValue?["serving"], "\(path()).conditions.serving"),
                terminating: reader.bool(conditionsValue?["terminating"], "\(path()).conditions.terminating"))
            let hostname = reader.string(entry?["hostname"], "\(path()).hostname")
            let nodeName = reader.string(entry?["nodeName"], "\(path()).nodeName")
            let zone = reader.string(entry?["zone"], "\(path()).zone")
            var hints: EndpointHints?
            if let hintsValue = reader.mapping(entry?["hints"], "\(path()).hints") {
                hints = EndpointHints(
                    forZones: names(hintsValue["forZones"], "\(path()).hints.forZones", &reader),
                    forNodes: names(hintsValue["forNodes"], "\(path()).hints.forNodes", &reader))
            }
            var targetRef: ObjectReference?
            if let ref = reader.mapping(entry?["targetRef"], "\(path()).targetRef") {
                targetRef = ObjectReference(
                    kind: reader.string(ref["kind"], "\(path()).targetRef.kind") ?? "",
                    namespace: reader.string(ref["namespace"], "\(path()).targetRef.namespace") ?? "",
                    name: reader.string(ref["name"], "\(path()).targetRef.name") ?? "")
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
    static func names(_ value: APIValue?, _ path: String, _ reader: inout FieldReader) -> [String] {
        reader.list(value, path).enumerated().compactMap { i, item in
            reader.string(reader.mapping(item, "\(path)[\(i)]")?["name"], "\(path)[\(i)].name")
        }
    }
}
