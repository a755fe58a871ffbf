import CSwitchyardNetfilter
import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// A NETLINK_NETFILTER socket bound in one network namespace. One owner at a time; its calls block,
/// so async callers run them off the cooperative pool.
public final class NetfilterSocket {
    private let socket: OpaquePointer
    private let portID: UInt32
    private var sequence: UInt32
    public let namespace: NetworkNamespace
    /// When the sets this socket creates are declared with a size (``SetCapacity``).
    public var setCapacity = SetCapacity.standard

    /// Opens the socket inside `namespace`.
    public init(namespace: NetworkNamespace = .current) throws(NetlinkError) {
        self.namespace = namespace
        let opened: OpaquePointer = try namespace.perform({ () throws(NetlinkError) -> OpaquePointer in
            guard let socket = mnl_socket_open(NETLINK_NETFILTER) else {
                throw .system(call: "socket(NETLINK_NETFILTER)", context: "opening a netfilter socket in \(namespace)", errno: errno)
            }
            return socket
        }, failing: NetlinkError.namespace)
        socket = opened
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) >= 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw .system(call: "bind", context: "binding the netfilter socket", errno: code)
        }
        portID = mnl_socket_get_portid(socket)
        sequence = UInt32(truncatingIfNeeded: time(nil))
        var on: Int32 = 1
        // Errors carry only the header of the refused message, plus the kernel's explanation.
        _ = mnl_socket_setsockopt(socket, Int32(NETLINK_CAP_ACK), &on, socklen_t(MemoryLayout<Int32>.size))
        _ = mnl_socket_setsockopt(socket, Int32(NETLINK_EXT_ACK), &on, socklen_t(MemoryLayout<Int32>.size))
        setBufferSize(SO_RCVBUFFORCE, 4 << 20)
    }

    deinit { mnl_socket_close(socket) }

    var fd: Int32 { mnl_socket_get_fd(socket) }

    /// Starts a batch whose sequence numbers continue this socket's.
    func makeBatch(expectedGeneration: UInt32? = nil) -> NetlinkBatch {
        NetlinkBatch(firstSequence: sequence, expectedGeneration: expectedGeneration)
    }

    /// Sends a batch as one transaction and waits for the kernel's verdict. Without per-message
    /// ACKs only refusals come back; a generation request sent after the batch marks the end of
    /// the replies (the kernel handles the whole batch inside `sendto`, so its errors come first).
    /// Returns the ruleset generation after the commit.
    @discardableResult
    func commit(_ batch: NetlinkBatch) throws(NetlinkError) -> UInt32 {
        let bytes = batch.finish()
        guard batch.unencoded.isEmpty else { throw .unencodable(batch.unencoded) }
        sequence = batch.nextSequence
        setBufferSize(SO_SNDBUFFORCE, max(bytes.count + 4096, 1 << 20))
        guard mnl_socket_sendto(socket, bytes.baseAddress, bytes.count) >= 0 else {
            throw .system(call: "sendto", context: "sending a batch of \(batch.count) operations (\(bytes.count) bytes)", errno: errno)
        }
        var rejected: [RejectedOperation] = []
        var generationChanged = false
        let generation = try requestGeneration { message in
            guard let refusal = Self.refusal(in: message), refusal.errno != 0 else { return }
            if let label = batch.describeRefusal(sequence: refusal.sequence, offset: refusal.offset) {
                rejected.append(RejectedOperation(
                    operation: label, errno: refusal.errno, kernelMessage: refusal.text, attributeOffset: refusal.offset,
                    operationIndex: batch.operationIndices[refusal.sequence]))
            } else if refusal.errno == ERESTART {
                generationChanged = true // refused at BATCH_BEGIN: the generation moved
            }
        }
        if generationChanged { throw .generationChanged }
        if !rejected.isEmpty { throw .rejected(rejected) }
        return generation
    }

    /// The ruleset generation id (`NFT_MSG_GETGEN`): any change to any table bumps it.
    public func generation() throws(NetlinkError) -> UInt32 {
        try requestGeneration { _ in }
    }

    /// Sends a dump request built by `build` and hands every reply message to `each` until DONE.
    func dump(
        _ what: String,
        build: (UnsafeMutablePointer<CChar>, UInt32) -> UnsafeMutablePointer<nlmsghdr>?,
        each: (UnsafePointer<nlmsghdr>) throws(NetlinkError) -> Void
    ) throws(NetlinkError) {
        let request = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 8)
        defer { request.deallocate() }
        let seq = nextSequenceNumber()
        guard let header = build(request.bindMemory(to: CChar.self, capacity: 8192), seq) else { throw .unencodable(["list \(what)"]) }
        guard mnl_socket_sendto(socket, request, Int(header.pointee.nlmsg_len)) >= 0 else {
            throw .system(call: "sendto", context: "requesting \(what)", errno: errno)
        }
        try receive(until: seq, context: "reading \(what)") { message throws(NetlinkError) -> Bool in
            switch Int32(message.pointee.nlmsg_type) {
            case NLMSG_DONE:
                return true
            case NLMSG_ERROR:
                if let refusal = Self.refusal(in: message), refusal.errno != 0 {
                    throw .rejected([RejectedOperation(operation: "list \(what)", errno: refusal.errno, kernelMessage: refusal.text)])
                }
                return true
            default:
                try each(message)
                return false
            }
        }
    }

    /// Sends one request that asked for an ACK and waits for it: true when the kernel did it, false
    /// for ENOENT (already gone), an error otherwise.
    func acknowledge(_ header: UnsafeMutablePointer<nlmsghdr>, context: String) throws(NetlinkError) -> Bool {
        let seq = header.pointee.nlmsg_seq
        guard mnl_socket_sendto(socket, header, Int(header.pointee.nlmsg_len)) >= 0 else {
            throw .system(call: "sendto", context: context, errno: errno)
        }
        var done = false
        try receive(until: seq, context: context) { message throws(NetlinkError) -> Bool in
            guard message.pointee.nlmsg_seq == seq, Int32(message.pointee.nlmsg_type) == NLMSG_ERROR,
                  let refusal = Self.refusal(in: message) else { return false }
            switch refusal.errno {
            case 0: done = true
            case ENOENT: done = false
            default: throw .system(call: "netlink request", context: context, errno: refusal.errno)
            }
            return true
        }
        return done
    }

    // MARK: - Internals

    private func nextSequenceNumber() -> UInt32 {
        defer { sequence &+= 1 }
        return sequence
    }

    private func requestGeneration(other: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) -> UInt32 {
        let request = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { request.deallocate() }
        let seq = nextSequenceNumber()
        guard let header = nftnl_nlmsg_build_hdr(
            request.bindMemory(to: CChar.self, capacity: 256), UInt16(NFT_MSG_GETGEN.rawValue), UInt16(AF_UNSPEC), 0, seq)
        else { throw .unencodable(["request the ruleset generation"]) }
        guard mnl_socket_sendto(socket, request, Int(header.pointee.nlmsg_len)) >= 0 else {
            throw .system(call: "sendto", context: "requesting the ruleset generation", errno: errno)
        }
        var generation: UInt32 = 0
        try receive(until: seq, context: "waiting for the kernel's answer") { message throws(NetlinkError) -> Bool in
            guard message.pointee.nlmsg_seq == seq else {
                other(message)
                return false
            }
            if Int32(message.pointee.nlmsg_type) == NLMSG_ERROR {
                if let refusal = Self.refusal(in: message), refusal.errno != 0 {
                    throw .system(call: "NFT_MSG_GETGEN", context: "reading the ruleset generation", errno: refusal.errno)
                }
                return false
            }
            guard let gen = nftnl_gen_alloc() else { throw .malformedReply("cannot allocate a generation object") }
            defer { nftnl_gen_free(gen) }
            guard nftnl_gen_nlmsg_parse(message, gen) >= 0 else { throw .malformedReply("NEWGEN message") }
            generation = nftnl_gen_get_u32(gen, UInt16(NFTNL_GEN_ID))
            return true
        }
        return generation
    }

    /// Reads messages and hands each to `handle` until it returns true.
    private func receive(
        until seq: UInt32, context: String,
        _ handle: (UnsafePointer<nlmsghdr>) throws(NetlinkError) -> Bool
    ) throws(NetlinkError) {
        let size = 1 << 17
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let received = mnl_socket_recvfrom(socket, buffer, size)
            if received < 0 {
                if errno == EINTR { continue }
                throw .system(call: "recvfrom", context: context, errno: errno)
            }
            var remaining = Int32(received)
            var message: UnsafePointer<nlmsghdr>? = UnsafePointer(buffer.assumingMemoryBound(to: nlmsghdr.self))
            while let current = message, mnl_nlmsg_ok(current, remaining) {
                if try handle(current) { return }
                message = UnsafePointer(mnl_nlmsg_next(current, &remaining))
            }
        }
    }

    private struct Refusal {
        var sequence: UInt32
        var errno: Int32
        var text: String?
        var offset: UInt32?
    }

    /// Decodes an NLMSG_ERROR: the refused message's sequence number, errno and extended ACK.
    private static func refusal(in message: UnsafePointer<nlmsghdr>) -> Refusal? {
        guard Int32(message.pointee.nlmsg_type) == NLMSG_ERROR else { return nil }
        guard let payload = UnsafeRawPointer(mnl_nlmsg_get_payload(message)) else { return nil }
        let error = payload.loadUnaligned(as: nlmsgerr.self)
        var refusal = Refusal(sequence: error.msg.nlmsg_seq, errno: -error.error)
        guard message.pointee.nlmsg_flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return refusal }
        // The refused message is echoed whole unless capped; the TLVs follow it.
        let echoed = message.pointee.nlmsg_flags & UInt16(NLM_F_CAPPED) != 0
            ? MemoryLayout<nlmsgerr>.size
            : MemoryLayout<Int32>.size + Int(error.msg.nlmsg_len)
        let total = Int(message.pointee.nlmsg_len) - MemoryLayout<nlmsghdr>.size
        let start = NetlinkAttributeWalk.aligned(echoed)
        for attribute in NetlinkAttributeWalk(UnsafeRawBufferPointer(start: payload + start, count: max(0, total - start))) {
            switch attribute.type {
            case 1: // NLMSGERR_ATTR_MSG
                refusal.text = attribute.string
            case 2: // NLMSGERR_ATTR_OFFS
                refusal.offset = attribute.value.count == 4 ? attribute.value.loadUnaligned(as: UInt32.self) : nil
            default:
                break
            }
        }
        return refusal
    }

    /// Socket-level buffer sizes (SOL_SOCKET; mnl_socket_setsockopt would set SOL_NETLINK options).
    /// The FORCE variants need CAP_NET_ADMIN, which programming netfilter needs anyway.
    private func setBufferSize(_ option: Int32, _ size: Int) {
        var value = Int32(clamping: size)
        _ = setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}
