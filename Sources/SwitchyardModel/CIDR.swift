/// An address prefix such as `10.244.0.0/16` or `fd00::/64`. The address is kept masked.
public struct CIDR: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// A prefix; host bits of `address` are cleared. Returns nil when the length exceeds the family's width.
    public init?(address: IPAddress, prefixLength: Int) {
        let width = address.family == .ipv4 ? 32 : 128
        guard prefixLength >= 0, prefixLength <= width else { return nil }
        self.prefixLength = prefixLength
        self.address = Self.mask(address, prefixLength)
    }

    /// Parses `ADDR/LEN`. A bare address is not a CIDR (the API server requires the length too).
    public init?(_ text: some StringProtocol) {
        guard let slash = text.firstIndex(of: "/"),
              let address = IPAddress(text[text.startIndex..<slash]),
              let length = Int(text[text.index(after: slash)...]),
              !text[text.index(after: slash)...].hasPrefix("+")
        else { return nil }
        self.init(address: address, prefixLength: length)
    }

    /// The single-address prefix (/32 or /128).
    public init(host: IPAddress) {
        self.address = host
        self.prefixLength = host.family == .ipv4 ? 32 : 128
    }

    public var family: IPFamily { address.family }

    /// Whether `ip` lies in this prefix (always false across families).
    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && Self.mask(ip, prefixLength) == address
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public static func < (lhs: CIDR, rhs: CIDR) -> Bool {
        (lhs.address, lhs.prefixLength) < (rhs.address, rhs.prefixLength)
    }

    private static func mask(_ ip: IPAddress, _ length: Int) -> IPAddress {
        switch ip {
        case .v4(let a):
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - UInt32(length))
            return .v4(IPv4Address(a.value & mask))
        case .v6(let a):
            let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << (64 - UInt64(length)))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << (128 - UInt64(length)))
            return .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
        }
    }
}

extension CIDR {
    /// Parses a comma-separated list such as `10.244.0.0/16, fd00:10:244::/56`, as kube-proxy's
    /// `--cluster-cidr` and `clusterCIDR` take it: spaces around an item are ignored, empty items
    /// skipped; the first item that is not a CIDR is the error.
    public static func list(parsing text: some StringProtocol) throws(CIDRListError) -> [CIDR] {
        var result: [CIDR] = []
        for item in text.split(separator: ",") {
            let trimmed = item.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
            let itemText = String(trimmed)
            if itemText.isEmpty { continue }
            guard let cidr = CIDR(itemText) else { throw CIDRListError(item: itemText) }
            result.append(cidr)
        }
        return result
    }
}

/// An item of a CIDR list that is not a CIDR.
public struct CIDRListError: Error, Sendable, Hashable, CustomStringConvertible {
    public var item: String
    public var description: String { "'\(item)' is not a CIDR" }
}
