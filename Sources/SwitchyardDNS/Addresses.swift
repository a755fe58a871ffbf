import NIOCore
import SwitchyardModel

/// Why an address given on the command line or in resolv.conf was rejected.
public enum DNSAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let text): "'\(text)' is not an IP address with an optional port (IP, IP:PORT or [IPv6]:PORT)"
        }
    }
}

/// Parsing of `IP`, `IP:PORT` and `[IPv6]:PORT`, and of resolv.conf nameservers.
public enum DNSAddress {
    /// Parses an address; a missing port is `defaultPort`.
    public static func parse(_ text: String, defaultPort: Int = 53) throws(DNSAddressError) -> SocketAddress {
        var host = Substring(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalid(text) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { throw .invalid(text) }
                port = p
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]) else { throw .invalid(text) }
            port = p
            host = host[..<colon]
        }
        guard (0...65535).contains(port), IPAddress(host) != nil,
              let address = try? SocketAddress(ipAddress: String(host), port: port)
        else { throw .invalid(text) }
        return address
    }

    /// The `nameserver` entries of resolv.conf text, port 53.
    public static func nameservers(resolvConf text: String) -> [SocketAddress] {
        text.split(whereSeparator: \.isNewline).compactMap { line -> SocketAddress? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
            // Zone-scoped link-local addresses (fe80::1%eth0) are skipped.
            return try? parse(String(fields[1]))
        }
    }

    /// The `search` domains of resolv.conf text (the last `search` line wins, as in glibc).
    public static func searchDomains(resolvConf text: String) -> [DNSName] {
        var domains: [DNSName] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.first == "search" || fields.first == "domain" else { continue }
            domains = fields.dropFirst().compactMap { DNSName(String($0)).map { $0.lowercased() } }
        }
        return domains
    }
}
