/// `--proxy-mode` / the config file's `mode`: which kernel interface programs the plan.
public enum ProxyMode: String, Sendable, Hashable, CaseIterable {
    /// nftables over netlink (Switchyard's engine; also for kube-proxy's `""` and `ipvs`).
    case nftables
    /// kube-proxy's iptables layout through `iptables-restore` (``IptablesBackend``).
    case iptables
    /// A SwiftNIO L4 proxy listening on the frontends (``UserspaceBackend``): no netfilter at all.
    case userspace
}
