#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A port on 127.0.0.1 free for both TCP and UDP now, for a child process to listen on. Picked at
/// random below the kernel's ephemeral range (`ip_local_port_range`), never from it: a port the
/// kernel hands to a `bind(:0)` could be handed again, before the child binds it, to any socket of
/// the tests running beside (a CI run: the DNS port a test chose was a UDP client's a moment later).
public func freePort() throws -> Int {
    let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32768
    let range = 10000..<max(10001, min(ephemeralStart, 65536))
    for _ in 0..<200 {
        let port = Int.random(in: range)
        if canBind(port, type: SOCK_STREAM), canBind(port, type: SOCK_DGRAM) { return port }
    }
    throw TestNamespaceError(message: "no free port on 127.0.0.1 in \(range)")
}

/// Whether a socket of `type` can bind 127.0.0.1:`port` now (it is closed again at once).
private func canBind(_ port: Int, type: __socket_type) -> Bool {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7f00_0001).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
