import SwitchyardModel

/// Namespace and Node objects → model values.
enum ClusterScopedConversion {
    static func namespace(_ value: APIValue, _ reader: inout FieldReader) -> Namespace? {
        let meta = ObjectMetadata.read(value, namespaced: false, &reader)
        return Namespace(name: meta.name, labels: meta.labels)
    }

    /// `networking.k8s.io/v1` ServiceCIDR: its name and `spec.cidrs`.
    static func serviceCIDR(_ value: APIValue, _ reader: inout FieldReader) -> ServiceCIDR? {
        let meta = ObjectMetadata.read(value, namespaced: false, &reader)
        let spec = reader.mapping(value["spec"], "spec")
        return ServiceCIDR(name: meta.name, cidrs: reader.cidrs(spec?["cidrs"], "spec.cidrs"))
    }

    static func node(_ value: APIValue, _ reader: inout FieldReader) -> Node? {
        let meta = ObjectMetadata.read(value, namespaced: false, &reader)
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

}
