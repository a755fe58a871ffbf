import SwitchyardModel

/// One collection Switchyard follows, with the selectors kube-proxy and CoreDNS use for it.
public struct KubernetesResource: Sendable, Hashable, CustomStringConvertible {
    public var kind: ResourceKind
    /// The collection's path, `/api/v1/services`.
    public var path: String
    /// `labelSelector` query parameter, if any.
    public var labelSelector: String?
    /// `fieldSelector` query parameter, if any.
    public var fieldSelector: String?

    public init(kind: ResourceKind, path: String, labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.kind = kind
        self.path = path
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
    }

    /// kube-proxy's `noProxyName` selector: objects that another proxy claims
    /// (`service.kubernetes.io/service-proxy-name`) are not ours. Headless slices are kept (DNS).
    public static let notClaimedByAnotherProxy = "!service.kubernetes.io/service-proxy-name"

    /// Namespaces, all of them (DNS answers NODATA vs NXDOMAIN for `<ns>.svc`).
    public static let namespaces = KubernetesResource(kind: .namespace, path: "/api/v1/namespaces")
    /// The Services selector: those no proxy claims, or with `proxyName` only those that name it
    /// (`service.kubernetes.io/service-proxy-name=NAME`, to migrate Service by Service).
    public static func proxySelector(proxyName: String?) -> String {
        proxyName.map { "service.kubernetes.io/service-proxy-name=\($0)" } ?? notClaimedByAnotherProxy
    }

    /// Services not claimed by another proxy.
    public static let services = services(proxyName: nil)
    /// EndpointSlices (discovery.k8s.io/v1) not claimed by another proxy, headless ones included.
    public static let endpointSlices = endpointSlices(proxyName: nil)

    /// Services selected by `proxySelector(proxyName:)`.
    public static func services(proxyName: String?) -> KubernetesResource {
        KubernetesResource(kind: .service, path: "/api/v1/services", labelSelector: proxySelector(proxyName: proxyName))
    }

    /// EndpointSlices selected by `proxySelector(proxyName:)`.
    public static func endpointSlices(proxyName: String?) -> KubernetesResource {
        KubernetesResource(kind: .endpointSlice, path: "/apis/discovery.k8s.io/v1/endpointslices",
                           labelSelector: proxySelector(proxyName: proxyName))
    }
    /// Pods that may still hold their IP (not Succeeded, not Failed), for DNS pod records.
    public static let pods = KubernetesResource(
        kind: .pod, path: "/api/v1/pods", fieldSelector: "status.phase!=Succeeded,status.phase!=Failed")

    /// This node's Node object only (`metadata.name=NAME`), or every node when `name` is nil.
    public static func nodes(named name: String?) -> KubernetesResource {
        KubernetesResource(kind: .node, path: "/api/v1/nodes", fieldSelector: name.map { "metadata.name=\($0)" })
    }

    public var description: String { path }
}
