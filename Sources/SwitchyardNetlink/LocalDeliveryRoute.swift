import CSwitchyardNetfilter
import SwitchyardModel
import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// The policy route of node-local DNS: packets carrying the mark are delivered to this host whatever
/// their destination (`ip rule add fwmark M/M lookup T priority P` and `ip route add local default
/// dev lo table T`, per family), so a query to the kube-dns ClusterIP reaches the daemon's transparent
/// socket bound to that ClusterIP without DNAT, without an address on any interface (no ARP for it)
/// and without NOTRACK. Written over rtnetlink, idempotently.
public struct LocalDeliveryRoute: Sendable, Hashable, CustomStringConvertible {
    public var mark: UInt32
    /// The routing table holding the `local default` route.
    public var table: UInt32
    /// The rule's priority (before `main`, 32766).
    public var priority: UInt32

    /// Table 2053 ("DNS"), rule priority 100.
    public init(mark: UInt32, table: UInt32 = 2053, priority: UInt32 = 100) {
        self.mark = mark
        self.table = table
        self.priority = priority
    }

    public var description: String {
        "fwmark 0x\(String(mark, radix: 16))/0x\(String(mark, radix: 16)) lookup \(table) priority \(priority), local default dev lo table \(table)"
    }

    /// Adds the rule and the route for IPv4 and IPv6 in `namespace`; present ones are kept.
    public func install(in namespace: NetworkNamespace) throws(NetlinkError) {
        try namespace.perform({ () throws(NetlinkError) in
            let socket = try RouteSocket()
            let loopback = if_nametoindex("lo")
            for family in [AF_INET, AF_INET6] {
                try socket.request(RouteSocket.newRule, flags: NLM_F_CREATE | NLM_F_EXCL, body: ruleMessage(family), tolerating: [EEXIST],
                                   describing: "adding the rule \(self)")
                try socket.request(RouteSocket.newRoute, flags: NLM_F_CREATE | NLM_F_REPLACE, body: routeMessage(family, loopback: loopback),
                                   tolerating: [], describing: "adding the route local default dev lo table \(table)")
            }
        }, failing: NetlinkError.namespace)
    }

    /// Removes the rule and the route in `namespace`; absent ones are fine. Returns whether
    /// anything was there.
    @discardableResult
    public func remove(in namespace: NetworkNamespace) throws(NetlinkError) -> Bool {
        try namespace.perform({ () throws(NetlinkError) -> Bool in
            let socket = try RouteSocket()
            let loopback = if_nametoindex("lo")
            var removed = false
            for family in [AF_INET, AF_INET6] {
                removed = try socket.request(RouteSocket.deleteRule, flags: 0, body: ruleMessage(family), tolerating: [ENOENT, ESRCH],
                                             describing: "removing the rule \(self)") || removed
                removed = try socket.request(RouteSocket.deleteRoute, flags: 0, body: routeMessage(family, loopback: loopback),
                                             tolerating: [ENOENT, ESRCH], describing: "removing the route local default table \(table)") || removed
            }
            return removed
        }, failing: NetlinkError.namespace)
    }

    /// `struct fib_rule_hdr` (family, dst_len, src_len, tos, table, res1, res2, action, flags) and
    /// FRA_PRIORITY, FRA_FWMARK, FRA_FWMASK, FRA_TABLE.
    private func ruleMessage(_ family: Int32) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(family), 0, 0, 0, 0, 0, 0, 1 /* FR_ACT_TO_TBL */, 0, 0, 0, 0]
        RouteSocket.appendAttribute(&bytes, type: 6 /* FRA_PRIORITY */, value: priority)
        RouteSocket.appendAttribute(&bytes, type: 10 /* FRA_FWMARK */, value: mark)
        RouteSocket.appendAttribute(&bytes, type: 16 /* FRA_FWMASK */, value: mark)
        RouteSocket.appendAttribute(&bytes, type: 15 /* FRA_TABLE */, value: table)
        return bytes
    }

    /// `struct rtmsg` (family, dst_len 0, src_len, tos, table, protocol boot, scope host, type local,
    /// flags) and RTA_TABLE, RTA_OIF.
    private func routeMessage(_ family: Int32, loopback: UInt32) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(family), 0, 0, 0, 0, 3 /* RTPROT_BOOT */, 254 /* RT_SCOPE_HOST */, 2 /* RTN_LOCAL */, 0, 0, 0, 0]
        RouteSocket.appendAttribute(&bytes, type: 15 /* RTA_TABLE */, value: table)
        RouteSocket.appendAttribute(&bytes, type: 4 /* RTA_OIF */, value: loopback)
        return bytes
    }
}

/// A NETLINK_ROUTE socket for a few acknowledged requests.
private final class RouteSocket {
    private let fd: Int32
    private var sequence: UInt32 = 1
    // <linux/rtnetlink.h> message types.
    static let newRoute: Int32 = 24, deleteRoute: Int32 = 25, newRule: Int32 = 32, deleteRule: Int32 = 33

    init() throws(NetlinkError) {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        guard fd >= 0 else { throw .system(call: "socket(NETLINK_ROUTE)", context: "opening a routing socket", errno: errno) }
    }

    deinit { close(fd) }

    static func appendAttribute(_ bytes: inout [UInt8], type: UInt16, value: UInt32) {
        withUnsafeBytes(of: UInt16(8).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: type.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// Sends one request with NLM_F_REQUEST | NLM_F_ACK and waits for its acknowledgement; an error
    /// in `tolerating` counts as done. Returns true when the kernel did it (false: tolerated error).
    @discardableResult
    func request(_ type: Int32, flags: Int32, body: [UInt8], tolerating: [Int32], describing what: String) throws(NetlinkError) -> Bool {
        sequence += 1
        var message: [UInt8] = []
        withUnsafeBytes(of: UInt32(16 + body.count).littleEndian) { message += $0 }
        withUnsafeBytes(of: UInt16(type).littleEndian) { message += $0 }
        withUnsafeBytes(of: UInt16(flags | NLM_F_REQUEST | NLM_F_ACK).littleEndian) { message += $0 }
        withUnsafeBytes(of: sequence.littleEndian) { message += $0 }
        withUnsafeBytes(of: UInt32(0).littleEndian) { message += $0 }
        message += body
        guard send(fd, message, message.count, 0) == message.count else {
            throw .system(call: "send", context: what, errno: errno)
        }
        var reply = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = recv(fd, &reply, reply.count, 0)
            guard count >= 0 else { throw .system(call: "recv", context: what, errno: errno) }
            var offset = 0
            while offset + 16 <= count {
                let length = Int(reply[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
                let kind = reply[offset + 4..<offset + 6].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
                let seq = reply[offset + 8..<offset + 12].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                if kind == UInt16(NLMSG_ERROR), seq == sequence, offset + 20 <= count {
                    let code = -reply[offset + 16..<offset + 20].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
                    guard code == 0 || tolerating.contains(code) else { throw .system(call: "rtnetlink", context: what, errno: code) }
                    return code == 0
                }
                guard length >= 16 else { break }
                offset += (length + 3) & ~3
            }
        }
    }
}
