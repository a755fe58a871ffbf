import CSwitchyardNetfilter
import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// Follows the nf_tables event group of one namespace to tell whether anyone else changed the
/// tables named `tableName` since they were last read back.
///
/// The ruleset generation moves with every commit to any table, so on a node where other programs
/// use nftables (CNI plugins, iptables-nft, firewalls) comparing generations alone would read the
/// tables back at every resync. The kernel announces each commit as events naming the tables it
/// touched, followed by a `NEWGEN` carrying its generation; generations go up by one per commit.
/// The owner leaves the group during its own commits (1M elements would be 1M events) and
/// accounts for them by that arithmetic; any gap, overflow or doubt makes the state unknown, which
/// costs one read-back, never a missed change.
final class RulesetMonitor {
    private let socket: NetfilterSocket
    private let tableName: String
    /// The newest generation whose commits have all been accounted for; nil when some may have
    /// been missed (before the first read-back, after an overflow or a gap).
    private(set) var knownGeneration: UInt32?
    /// Another program's commit changed a watched table since the last read-back.
    private(set) var touched = false
    /// Events of a commit whose `NEWGEN` has not been read yet named a watched table.
    private var pendingTouch = false

    /// Opens a socket in `namespace` and joins the nf_tables event group.
    init(namespace: NetworkNamespace, tableName: String) throws(NetlinkError) {
        socket = try NetfilterSocket(namespace: namespace)
        self.tableName = tableName
        try socket.setMembership(group: UInt32(NFNLGRP_NFTABLES.rawValue), joined: true)
    }

    /// True when every commit up to `generation` is accounted for and none but the owner's changed
    /// a watched table since the last read-back.
    func isUntouched(atGeneration generation: UInt32) -> Bool {
        drain()
        return knownGeneration == generation && !touched && !pendingTouch
    }

    /// The watched tables were read back at `generation`: what happened up to it is in the read.
    func readBack(atGeneration generation: UInt32) {
        drain()
        knownGeneration = generation
        touched = false
    }

    /// Called before the owner commits: reads what is queued, then stops listening.
    func ownCommitStarts() {
        drain()
        if (try? socket.setMembership(group: UInt32(NFNLGRP_NFTABLES.rawValue), joined: false)) == nil { knownGeneration = nil }
    }

    /// Called after the owner's commit, which left the ruleset at `generation` (nil: it failed).
    /// Any other commit since the last accounted one makes the state unknown.
    func ownCommitEnded(atGeneration generation: UInt32?) {
        if let known = knownGeneration, let generation, generation == known &+ 1 {
            knownGeneration = generation
        } else {
            knownGeneration = nil
        }
        if (try? socket.setMembership(group: UInt32(NFNLGRP_NFTABLES.rawValue), joined: true)) == nil { knownGeneration = nil }
    }

    private func drain() {
        let complete = socket.receivePending { message in
            handle(message)
        }
        if !complete { knownGeneration = nil }
    }

    private func handle(_ message: UnsafePointer<nlmsghdr>) {
        let type = Int32(message.pointee.nlmsg_type)
        guard type >> 8 == NFNL_SUBSYS_NFTABLES else { return }
        let attributes = NetlinkAttributeWalk(message: message, headerLength: MemoryLayout<nfgenmsg>.size)
        if UInt32(type & 0xff) == NFT_MSG_NEWGEN.rawValue {
            guard let generation = attributes.first(where: { $0.type == UInt16(NFTA_GEN_ID.rawValue) })?.bigEndianUInt32 else {
                knownGeneration = nil
                return
            }
            if let known = knownGeneration {
                let ahead = Int32(bitPattern: generation &- known)
                if ahead <= 0 {
                    // Already in the last read-back.
                    pendingTouch = false
                    return
                }
                knownGeneration = ahead == 1 ? generation : nil
            }
            if pendingTouch { touched = true }
            pendingTouch = false
        } else if attributes.first(where: { $0.type == 1 })?.string == tableName {
            // Attribute 1 names the table in table, chain, rule, set, element, object and flowtable
            // events alike (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_SET_ELEM_LIST_TABLE, …).
            pendingTouch = true
        }
    }
}

extension NetfilterSocket {
    /// Joins or leaves a netlink multicast group.
    func setMembership(group: UInt32, joined: Bool) throws(NetlinkError) {
        var value = group
        let option = joined ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP
        guard setsockopt(fd, SOL_NETLINK, option, &value, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
            throw .system(call: "setsockopt(\(joined ? "NETLINK_ADD_MEMBERSHIP" : "NETLINK_DROP_MEMBERSHIP"))",
                          context: "following nf_tables events", errno: errno)
        }
    }

    /// Hands every queued message to `handle` without waiting. False when messages were lost (the
    /// receive queue overflowed) or the socket failed.
    func receivePending(_ handle: (UnsafePointer<nlmsghdr>) -> Void) -> Bool {
        let size = 1 << 17
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        var complete = true
        while true {
            let received = recv(fd, buffer, size, Int32(MSG_DONTWAIT))
            if received < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN: return complete
                case ENOBUFS: complete = false; continue
                default: return false
                }
            }
            var remaining = Int32(received)
            var message: UnsafePointer<nlmsghdr>? = UnsafePointer(buffer.assumingMemoryBound(to: nlmsghdr.self))
            while let current = message, mnl_nlmsg_ok(current, remaining) {
                handle(current)
                message = UnsafePointer(mnl_nlmsg_next(current, &remaining))
            }
        }
    }
}
