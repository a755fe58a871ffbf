import SwitchyardModel
import SwitchyardNFT

extension Address {
    /// The nftables address of a model address.
    init(_ ip: IPAddress) {
        switch ip {
        case .v4(let a): self = .v4(a.value)
        case .v6(let a): self = .v6(high: a.high, low: a.low)
        }
    }
}

extension Prefix {
    /// The nftables prefix of a model CIDR.
    init(_ cidr: CIDR) { self.init(Address(cidr.address), cidr.prefixLength) }
}

extension Family {
    /// The table family of an IP family.
    init(_ family: IPFamily) { self = family == .ipv4 ? .ip : .ip6 }
}

extension L4Proto {
    /// The nftables protocol of a Service protocol.
    init(_ proto: TransportProtocol) {
        switch proto {
        case .tcp: self = .tcp
        case .udp: self = .udp
        case .sctp: self = .sctp
        }
    }
}
