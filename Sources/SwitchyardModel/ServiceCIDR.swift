/// A `networking.k8s.io/v1` ServiceCIDR: a range ClusterIPs are allocated from. Traffic to an
/// address inside that no Service holds is dropped, as kube-proxy drops it.
public struct ServiceCIDR: Sendable, Hashable {
    public var name: String
    /// `spec.cidrs`: one range per family at most.
    public var cidrs: [CIDR]

    public init(name: String, cidrs: [CIDR]) {
        self.name = name
        self.cidrs = cidrs
    }

    /// Cluster-scoped: the namespace is empty.
    public var key: ObjectKey { ObjectKey(namespace: "", name: name) }
}
