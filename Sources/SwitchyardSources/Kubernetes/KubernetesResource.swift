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
    /// The collection may be missing (an older API server: 404) or forbidden (RBAC: 403): then it
    /// counts as synced and empty, the features that need it do without, and it is listed again later.
    public var isOptional: Bool

    public init(kind: ResourceKind, path: String, labelSelector: String? = nil, fieldSelector: String? = nil, isOptional: Bool = false) {
        self.kind = kind
        self.path = path
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.isOptional = isOptional
    }

    /// Namespaces, all of them (DNS answers NODATA vs NXDOMAIN for `<ns>.svc`).
    /// Namespaces, for DNS only (`<ns>.svc` is NODATA, not NXDOMAIN, for an existing namespace).
    /// Optional: kube-proxy's RBAC (`system:node-proxier`) cannot list them; DNS then takes a
    /// namespace holding a Service or a Pod as existing.
    public static let namespaces = KubernetesResource(kind: .namespace, path: "/api/v1/namespaces", isOptional: true)
    /// Every Service: DNS serves them all, whichever proxy claims them; the planner programs only
    /// those its proxy name selects (``SwitchyardModel/Service/isProxied(by:)``), where kube-proxy
    /// asks the API server for them with a label selector.
    public static let services = KubernetesResource(kind: .service, path: "/api/v1/services")
    /// Every EndpointSlice (discovery.k8s.io/v1), headless ones included, for the same reason.
    public static let endpointSlices = KubernetesResource(kind: .endpointSlice, path: "/apis/discovery.k8s.io/v1/endpointslices")
    /// Pods that may still hold their IP (not Succeeded, not Failed), for DNS pod records. Optional:
    /// kube-proxy's RBAC (`system:node-proxier`) cannot list Pods, and the proxy must not wait for them.
    public static let pods = KubernetesResource(kind: .pod, path: "/api/v1/pods", fieldSelector: livePods, isOptional: true)

    /// Pods that may still hold their IP.
    static let livePods = "status.phase!=Succeeded,status.phase!=Failed"

    /// The pods of one node only (`spec.nodeName=NODE`), for node-local autopath: O(pods per node).
    public static func pods(onNode node: String) -> KubernetesResource {
        KubernetesResource(kind: .pod, path: "/api/v1/pods",
                           fieldSelector: "spec.nodeName=\(node),\(livePods)", isOptional: true)
    }

    /// ServiceCIDRs (networking.k8s.io/v1, Kubernetes 1.33): the ClusterIP ranges, for the drop of
    /// unallocated addresses. Optional: older clusters do not serve it.
    public static let serviceCIDRs = KubernetesResource(
        kind: .serviceCIDR, path: "/apis/networking.k8s.io/v1/servicecidrs", isOptional: true)

    /// This node's Node object only (`metadata.name=NAME`), or every node when `name` is nil.
    public static func nodes(named name: String?) -> KubernetesResource {
        KubernetesResource(kind: .node, path: "/api/v1/nodes", fieldSelector: name.map { "metadata.name=\($0)" })
    }

    public var description: String { path }
}
