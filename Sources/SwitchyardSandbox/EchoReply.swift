import SwitchyardModel

/// One answer of an echo server: `NAME <client-ip>:<client-port>`. It tells which server answered and
/// the source address that server saw (so masquerading and source preservation can be checked).
public struct EchoReply: Sendable, Hashable, CustomStringConvertible {
    /// The server's name (the pod's name for pod servers).
    public var name: String
    /// The client address as the server saw it.
    public var sourceAddress: IPAddress
    /// The client port as the server saw it.
    public var sourcePort: Int

    public init(name: String, sourceAddress: IPAddress, sourcePort: Int) {
        self.name = name
        self.sourceAddress = sourceAddress
        self.sourcePort = sourcePort
    }

    /// Parses one line (a trailing newline is allowed): `web-1 10.0.0.1:5000` or `web-1 [fd00::1]:5000`.
    public init?(line: some StringProtocol) {
        let text = String(line)
        let trimmed = text.hasSuffix("\n") ? text.dropLast() : text[...]
        let parts = trimmed.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let colon = parts[1].lastIndex(of: ":"),
              let port = Int(parts[1][parts[1].index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = parts[1][..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let address = IPAddress(host) else { return nil }
        self.init(name: String(parts[0]), sourceAddress: address, sourcePort: port)
    }

    /// The line as the server writes it, without the newline.
    public var description: String {
        "\(name) \(SocketAddress.text(sourceAddress, port: sourcePort))"
    }
}
