import SwitchyardDaemon

/// Connects SwitchyardDNS's server to the daemon (nil until the DNS server is available).
enum DNSWiring {
    static let make: (@Sendable (BindAddress, DaemonMetrics) throws -> any ClusterDNSServer)? = nil
}
