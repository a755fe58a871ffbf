import CSwitchyardNetfilter
#if canImport(Glibc)
import Glibc
#endif

/// Which conntrack entries to delete: those whose original direction went to `destination`
/// (`port`, `protocol`) and — when given — whose reply comes from `replySource`. That is how a
/// removed UDP endpoint's flows are found (reply source = the endpoint), and how flows to a service
/// that had no endpoints are found (reply source = the service address itself: never translated).
public struct ConntrackFilter: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 network-order bytes.
    public var destination: [UInt8]
    public var port: UInt16
    /// IANA protocol number (17 for UDP).
    public var `protocol`: UInt8
    public var replySource: [UInt8]?

    public init(destination: [UInt8], port: UInt16, protocol: UInt8 = 17, replySource: [UInt8]? = nil) {
        self.destination = destination
        self.port = port
        self.protocol = `protocol`
        self.replySource = replySource
    }

    var family: UInt8 { destination.count == 16 ? UInt8(AF_INET6) : UInt8(AF_INET) }

    public var description: String {
        let text = { (bytes: [UInt8]) in
            bytes.count == 4 ? bytes.map(String.init).joined(separator: ".") : bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
        return "proto \(self.protocol) dst \(text(destination)):\(port)" + (replySource.map { " reply-src \(text($0))" } ?? "")
    }
}

// The kernel's filter flags for CTA_FILTER (net/netfilter/nf_conntrack_netlink.c).
private let filterIPSource: UInt32 = 1 << 0
private let filterIPDestination: UInt32 = 1 << 1
private let filterProtocolNumber: UInt32 = 1 << 3
private let filterDestinationPort: UInt32 = 1 << 5

extension NetfilterSocket {
    /// Deletes the conntrack entries matching `filter` and returns how many it deleted. The kernel
    /// filters the dump (CTA_FILTER, Linux 5.8+), so only matching entries cross to user space —
    /// never a listing of the whole table — and each is deleted by its own tuple.
    @discardableResult
    public func deleteConntrack(matching filter: ConntrackFilter) throws(NetlinkError) -> Int {
        try deleteConntrack(tuples: matchingTuples(filter), family: filter.family, context: "\(filter)")
    }

    /// Beyond this many filters of one family and protocol, one dump of that protocol's entries,
    /// matched here, replaces a dump per filter (a first sync has one filter per UDP frontend). Every
    /// dump walks the kernel's whole conntrack hash table, which is global to all namespaces (perf:
    /// `ctnetlink_dump_table`, 15-50 ms per dump here), so two filters already share one.
    static let filtersPerDumpLimit = 1

    /// Deletes the conntrack entries matching any of `filters` and returns how many it deleted: a
    /// kernel-filtered dump per filter when they are few, else one dump per family and protocol
    /// (the kernel filters by protocol; addresses and ports are matched against a hash set here).
    /// A namespace holding no conntrack entries at all is not dumped: a dump walks the kernel's
    /// whole table (every namespace's entries) even when this one has none.
    @discardableResult
    public func deleteConntrack(matchingAny filters: [ConntrackFilter]) throws(NetlinkError) -> Int {
        guard !filters.isEmpty, try conntrackEntryCount() != 0 else { return 0 }
        struct Group: Hashable { var family: UInt8; var proto: UInt8 }
        struct Flow: Hashable { var destination: [UInt8]; var port: UInt16; var replySource: [UInt8]? }
        var groups: [Group: [ConntrackFilter]] = [:]
        for filter in filters { groups[Group(family: filter.family, proto: filter.protocol), default: []].append(filter) }
        var deleted = 0
        for (group, members) in groups.sorted(by: { ($0.key.family, $0.key.proto) < ($1.key.family, $1.key.proto) }) {
            if members.count <= Self.filtersPerDumpLimit {
                for filter in members { deleted += try deleteConntrack(matching: filter) }
                continue
            }
            let wanted = Set(members.map { Flow(destination: $0.destination, port: $0.port, replySource: $0.replySource) })
            let anyReply = Set(members.filter { $0.replySource == nil }.map { Flow(destination: $0.destination, port: $0.port, replySource: nil) })
            let addressLength = group.family == UInt8(AF_INET6) ? 16 : 4
            let (source, destination): (ctattr_ip, ctattr_ip) = addressLength == 16 ? (CTA_IP_V6_SRC, CTA_IP_V6_DST) : (CTA_IP_V4_SRC, CTA_IP_V4_DST)
            var tuples: [[UInt8]] = []
            try dump("conntrack entries of protocol \(group.proto)", build: { buffer, seq in
                Self.conntrackRequest(buffer, seq: seq, type: UInt16(IPCTNL_MSG_CT_GET.rawValue), flags: UInt16(NLM_F_DUMP), family: group.family) { header in
                    // The address is not compared (only the protocol flag is set); the tuple needs one.
                    Self.putTuple(header, CTA_TUPLE_ORIG, address: [UInt8](repeating: 0, count: addressLength), isSource: false, proto: group.proto, port: nil)
                    let nest = mnl_attr_nest_start(header, UInt16(CTA_FILTER.rawValue))
                    mnl_attr_put_u32(header, UInt16(CTA_FILTER_ORIG_FLAGS.rawValue), filterProtocolNumber)
                    mnl_attr_put_u32(header, UInt16(CTA_FILTER_REPLY_FLAGS.rawValue), 0)
                    mnl_attr_nest_end(header, nest)
                }
            }, each: { message throws(NetlinkError) in
                guard let tuple = Self.attribute(UInt16(CTA_TUPLE_ORIG.rawValue), in: message),
                      let address = Self.address(in: tuple, destination), let port = Self.destinationPort(in: tuple) else { return }
                let reply = Self.attribute(UInt16(CTA_TUPLE_REPLY.rawValue), in: message).flatMap { Self.address(in: $0, source) }
                if anyReply.contains(Flow(destination: address, port: port, replySource: nil))
                    || wanted.contains(Flow(destination: address, port: port, replySource: reply)) {
                    tuples.append(tuple)
                }
            })
            deleted += try deleteConntrack(tuples: tuples, family: group.family, context: "\(members.count) filters of protocol \(group.proto)")
        }
        return deleted
    }

    /// How many conntrack entries this namespace holds (`IPCTNL_MSG_CT_GET_STATS`, one message, no
    /// walk of the table); nil when the kernel does not say.
    public func conntrackEntryCount() throws(NetlinkError) -> Int? {
        var count: Int?
        try dump("the conntrack entry count", build: { buffer, seq in
            Self.conntrackRequest(buffer, seq: seq, type: UInt16(IPCTNL_MSG_CT_GET_STATS.rawValue), flags: UInt16(NLM_F_ACK),
                                  family: UInt8(AF_UNSPEC)) { _ in }
        }, each: { message throws(NetlinkError) in
            guard let value = Self.attribute(UInt16(CTA_STATS_GLOBAL_ENTRIES.rawValue), in: message), value.count >= 8 else { return }
            count = Int(UInt32(value[4]) << 24 | UInt32(value[5]) << 16 | UInt32(value[6]) << 8 | UInt32(value[7]))
        })
        return count
    }

    /// The original tuples of the entries matching `filter`, filtered by the kernel.
    private func matchingTuples(_ filter: ConntrackFilter) throws(NetlinkError) -> [[UInt8]] {
        var tuples: [[UInt8]] = []
        try dump("conntrack entries \(filter)", build: { buffer, seq in
            Self.conntrackRequest(buffer, seq: seq, type: UInt16(IPCTNL_MSG_CT_GET.rawValue), flags: UInt16(NLM_F_DUMP), family: filter.family) { header in
                Self.putTuple(header, CTA_TUPLE_ORIG, address: filter.destination, isSource: false, proto: filter.protocol, port: filter.port)
                if let replySource = filter.replySource {
                    Self.putTuple(header, CTA_TUPLE_REPLY, address: replySource, isSource: true, proto: nil, port: nil)
                }
                // CTA_FILTER with IPv6 address flags matched nothing on kernel 6.18 (tested), so
                // for IPv6 the kernel filters by protocol and port and the addresses are checked here.
                let addressFlags = filter.family == UInt8(AF_INET6) ? 0 : filterIPDestination
                let replyFlags = filter.family == UInt8(AF_INET6) || filter.replySource == nil ? 0 : filterIPSource
                let nest = mnl_attr_nest_start(header, UInt16(CTA_FILTER.rawValue))
                mnl_attr_put_u32(header, UInt16(CTA_FILTER_ORIG_FLAGS.rawValue), addressFlags | filterProtocolNumber | filterDestinationPort)
                mnl_attr_put_u32(header, UInt16(CTA_FILTER_REPLY_FLAGS.rawValue), replyFlags)
                mnl_attr_nest_end(header, nest)
            }
        }, each: { message throws(NetlinkError) in
            guard let tuple = Self.attribute(UInt16(CTA_TUPLE_ORIG.rawValue), in: message) else { return }
            if filter.family == UInt8(AF_INET6) {
                let reply = Self.attribute(UInt16(CTA_TUPLE_REPLY.rawValue), in: message) ?? []
                guard Self.address(in: tuple, CTA_IP_V6_DST) == filter.destination,
                      filter.replySource.map({ Self.address(in: reply, CTA_IP_V6_SRC) == $0 }) ?? true else { return }
            }
            tuples.append(tuple)
        })
        return tuples
    }

    /// Deletes the entries with these original tuples, one request each; entries already gone count 0.
    private func deleteConntrack(tuples: [[UInt8]], family: UInt8, context: String) throws(NetlinkError) -> Int {
        var deleted = 0
        for tuple in tuples {
            let request = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 8)
            defer { request.deallocate() }
            let seq = UInt32(truncatingIfNeeded: deleted) &+ 0x4000_0000
            let built = Self.conntrackRequest(request.bindMemory(to: CChar.self, capacity: 1024), seq: seq,
                                              type: UInt16(IPCTNL_MSG_CT_DELETE.rawValue), flags: UInt16(NLM_F_ACK), family: family) { header in
                tuple.withUnsafeBytes { bytes in
                    guard let source = bytes.baseAddress, let target = mnl_nlmsg_get_payload_tail(header) else { return }
                    UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: bytes.count)
                    header.pointee.nlmsg_len += UInt32((bytes.count + 3) & ~3)
                }
            }
            guard let header = built else { throw .unencodable(["delete conntrack entry (\(context))"]) }
            if try acknowledge(header, context: "deleting conntrack entry (\(context))") { deleted += 1 }
        }
        return deleted
    }

    private static func conntrackRequest(
        _ buffer: UnsafeMutablePointer<CChar>, seq: UInt32, type: UInt16, flags: UInt16, family: UInt8,
        _ body: (UnsafeMutablePointer<nlmsghdr>) -> Void
    ) -> UnsafeMutablePointer<nlmsghdr>? {
        guard let header = mnl_nlmsg_put_header(buffer),
              let extraHeader = mnl_nlmsg_put_extra_header(header, MemoryLayout<nfgenmsg>.size) else { return nil }
        header.pointee.nlmsg_type = UInt16(NFNL_SUBSYS_CTNETLINK) << 8 | type
        header.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST) | flags
        header.pointee.nlmsg_seq = seq
        let extra = extraHeader.assumingMemoryBound(to: nfgenmsg.self)
        extra.pointee.nfgen_family = family
        extra.pointee.version = UInt8(NFNETLINK_V0)
        extra.pointee.res_id = 0
        body(header)
        return header
    }

    private static func putTuple(
        _ header: UnsafeMutablePointer<nlmsghdr>, _ type: ctattr_type, address: [UInt8], isSource: Bool, proto: UInt8?, port: UInt16?
    ) {
        let tuple = mnl_attr_nest_start(header, UInt16(type.rawValue))
        let ip = mnl_attr_nest_start(header, UInt16(CTA_TUPLE_IP.rawValue))
        let attribute: ctattr_ip = switch (address.count == 16, isSource) {
        case (false, true): CTA_IP_V4_SRC
        case (false, false): CTA_IP_V4_DST
        case (true, true): CTA_IP_V6_SRC
        case (true, false): CTA_IP_V6_DST
        }
        address.withUnsafeBytes { mnl_attr_put(header, UInt16(attribute.rawValue), $0.count, $0.baseAddress) }
        mnl_attr_nest_end(header, ip)
        if let proto {
            let protoNest = mnl_attr_nest_start(header, UInt16(CTA_TUPLE_PROTO.rawValue))
            mnl_attr_put_u8(header, UInt16(CTA_PROTO_NUM.rawValue), proto)
            if let port { mnl_attr_put_u16(header, UInt16(CTA_PROTO_DST_PORT.rawValue), port.bigEndian) }
            mnl_attr_nest_end(header, protoNest)
        }
        mnl_attr_nest_end(header, tuple)
    }

    /// The raw bytes (header included) of a top-level attribute of a conntrack message.
    private static func attribute(_ wanted: UInt16, in message: UnsafePointer<nlmsghdr>) -> [UInt8]? {
        let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(message), count: Int(message.pointee.nlmsg_len))
        return attribute(wanted, in: Array(bytes), from: MemoryLayout<nlmsghdr>.size + MemoryLayout<nfgenmsg>.size)
    }

    /// Walks the attributes of `bytes` from `start`; returns the first of type `wanted`, header included.
    private static func attribute(_ wanted: UInt16, in bytes: [UInt8], from start: Int) -> [UInt8]? {
        var offset = start
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x3fff
            guard length >= 4, offset + length <= bytes.count else { return nil }
            if type == wanted { return Array(bytes[offset..<(offset + length)]) }
            offset += (length + 3) & ~3
        }
        return nil
    }

    /// The destination port inside a tuple attribute (CTA_TUPLE_PROTO nest), in host order.
    private static func destinationPort(in tuple: [UInt8]) -> UInt16? {
        guard let proto = attribute(UInt16(CTA_TUPLE_PROTO.rawValue), in: tuple, from: 4),
              let value = attribute(UInt16(CTA_PROTO_DST_PORT.rawValue), in: proto, from: 4), value.count >= 6 else { return nil }
        return UInt16(value[4]) << 8 | UInt16(value[5])
    }

    /// The address of kind `which` inside a tuple attribute (CTA_TUPLE_IP nest).
    private static func address(in tuple: [UInt8], _ which: ctattr_ip) -> [UInt8]? {
        guard let ip = attribute(UInt16(CTA_TUPLE_IP.rawValue), in: tuple, from: 4),
              let value = attribute(UInt16(which.rawValue), in: ip, from: 4) else { return nil }
        return Array(value.dropFirst(4))
    }
}
