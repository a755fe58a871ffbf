import SwitchyardModel

/// An object the fake API server holds, rendered as the API serializes it.
struct FakeObject: Sendable, Hashable {
    var path: String
    var apiVersion: String
    var kind: String
    var namespace: String?
    var name: String
    var labels: [String: String] = [:]
    /// The JSON members after `metadata`, without braces: `"spec":{…},"status":{…}`.
    var rest: String

    var key: String { namespace.map { "\($0)/\(name)" } ?? name }

    /// `{"apiVersion":…,"kind":…,"metadata":{…},…}`; list items omit kind and apiVersion as the API does.
    func json(resourceVersion: Int, asListItem: Bool = false) -> String {
        var metadata = "\"name\":\"\(name)\""
        if let namespace { metadata += ",\"namespace\":\"\(namespace)\"" }
        metadata += ",\"uid\":\"uid-\(key)\",\"resourceVersion\":\"\(resourceVersion)\""
        if !labels.isEmpty {
            let pairs = labels.keys.sorted().map { "\"\($0)\":\"\(labels[$0] ?? "")\"" }.joined(separator: ",")
            metadata += ",\"labels\":{\(pairs)}"
        }
        let head = asListItem ? "" : "\"apiVersion\":\"\(apiVersion)\",\"kind\":\"\(kind)\","
        return "{\(head)\"metadata\":{\(metadata)}" + (rest.isEmpty ? "" : ",\(rest)") + "}"
    }

    static func namespace(_ name: String) -> FakeObject {
        FakeObject(path: "/api/v1/namespaces", apiVersion: "v1", kind: "Namespace", name: name,
                   rest: "\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}")
    }

    static func serviceCIDR(_ name: String, cidrs: [String]) -> FakeObject {
        FakeObject(path: "/apis/networking.k8s.io/v1/servicecidrs", apiVersion: "networking.k8s.io/v1", kind: "ServiceCIDR", name: name,
                   rest: "\"spec\":{\"cidrs\":[\(cidrs.map { "\"\($0)\"" }.joined(separator: ","))]}")
    }

    static func node(_ name: String, ip: String) -> FakeObject {
        FakeObject(path: "/api/v1/nodes", apiVersion: "v1", kind: "Node", name: name,
                   labels: ["kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "zone-a"],
                   rest: "\"spec\":{\"podCIDR\":\"10.244.1.0/24\",\"podCIDRs\":[\"10.244.1.0/24\"]},"
                       + "\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"\(ip)\"},{\"type\":\"Hostname\",\"address\":\"\(name)\"}]}")
    }

    static func service(_ namespace: String, _ name: String, clusterIP: String, port: Int = 80, labels: [String: String] = [:]) -> FakeObject {
        FakeObject(path: "/api/v1/services", apiVersion: "v1", kind: "Service", namespace: namespace, name: name, labels: labels,
                   rest: "\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"\(clusterIP)\",\"clusterIPs\":[\"\(clusterIP)\"],"
                       + "\"ipFamilies\":[\"IPv4\"],\"ipFamilyPolicy\":\"SingleStack\",\"sessionAffinity\":\"None\","
                       + "\"internalTrafficPolicy\":\"Cluster\",\"selector\":{\"app\":\"\(name)\"},"
                       + "\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":\(port),\"targetPort\":8080}]},"
                       + "\"status\":{\"loadBalancer\":{}}")
    }

    static func endpointSlice(_ namespace: String, _ name: String, service: String, addresses: [String], ready: Bool = true) -> FakeObject {
        let endpoints = addresses.map {
            "{\"addresses\":[\"\($0)\"],\"conditions\":{\"ready\":\(ready),\"serving\":\(ready),\"terminating\":false},\"nodeName\":\"node-a\"}"
        }.joined(separator: ",")
        return FakeObject(path: "/apis/discovery.k8s.io/v1/endpointslices", apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
                          namespace: namespace, name: name,
                          labels: ["kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"],
                          rest: "\"addressType\":\"IPv4\",\"endpoints\":[\(endpoints)],"
                              + "\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":8080}]")
    }

    static func pod(_ namespace: String, _ name: String, ip: String) -> FakeObject {
        FakeObject(path: "/api/v1/pods", apiVersion: "v1", kind: "Pod", namespace: namespace, name: name,
                   rest: "\"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]},"
                       + "\"status\":{\"phase\":\"Running\",\"podIP\":\"\(ip)\",\"podIPs\":[{\"ip\":\"\(ip)\"}]}")
    }

    /// The kind of List the API serves for this collection.
    static func listKind(for path: String) -> (apiVersion: String, kind: String) {
        switch path {
        case "/api/v1/namespaces": ("v1", "NamespaceList")
        case "/api/v1/nodes": ("v1", "NodeList")
        case "/api/v1/services": ("v1", "ServiceList")
        case "/api/v1/pods": ("v1", "PodList")
        case "/apis/networking.k8s.io/v1/servicecidrs": ("networking.k8s.io/v1", "ServiceCIDRList")
        default: ("discovery.k8s.io/v1", "EndpointSliceList")
        }
    }
}
