import SwitchyardModel

/// Pod objects → `Pod`: addresses, DNS names, node and phase.
enum PodConversion {
    static func pod(_ value: APIValue, _ reader: inout FieldReader) -> Pod? {
        let meta = ObjectMetadata.read(value, namespaced: true, &reader)
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

}
