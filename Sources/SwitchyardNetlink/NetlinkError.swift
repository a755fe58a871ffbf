import SwitchyardSystem
#if canImport(Glibc)
import Glibc
#endif

/// One operation of a batch that the kernel refused.
public struct RejectedOperation: Sendable, Hashable, CustomStringConvertible {
    /// What the operation was, e.g. `add element to map service-slots (default/web tcp/80)`.
    public var operation: String
    /// The errno the kernel returned.
    public var errno: Int32
    /// The kernel's extended-ACK message, when it sent one.
    public var kernelMessage: String?
    /// The extended-ACK offset of the offending attribute in the message, when given.
    public var attributeOffset: UInt32?
    /// The position of the refused operation in the list committed, when known.
    public var operationIndex: Int?

    public var description: String {
        var text = "\(operation): \(NetlinkError.errnoName(errno))"
        if let kernelMessage, !kernelMessage.isEmpty { text += " (\(kernelMessage))" }
        if let attributeOffset { text += " [attribute at offset \(attributeOffset)]" }
        return text
    }
}

/// What can go wrong talking netfilter over netlink, always saying what was being done.
public enum NetlinkError: Error, Sendable, CustomStringConvertible {
    /// A system call failed: which one, on what, and errno.
    case system(call: String, context: String, errno: Int32)
    /// The network namespace could not be entered.
    case namespace(NamespaceError)
    /// The kernel refused the batch; nothing of it was committed. Every refused operation is listed.
    case rejected([RejectedOperation])
    /// A reply the kernel sent could not be understood.
    case malformedReply(String)
    /// These operations' messages could not be built (libnftnl could not allocate); nothing was sent.
    case unencodable([String])
    /// The ruleset changed between reading it and committing (the batch named the generation it was
    /// computed against); nothing was committed, read again and retry.
    case generationChanged

    public var description: String {
        switch self {
        case .system(let call, let context, let errno):
            "\(call) failed while \(context): \(Self.errnoName(errno))"
                + (errno == EPERM ? " — netfilter needs root (CAP_NET_ADMIN)" : "")
        case .namespace(let failure):
            "cannot enter network namespace \(failure.path): \(Self.errnoName(failure.errno))"
        case .rejected(let operations):
            "the kernel rejected the transaction (nothing was committed):\n"
                + operations.map { "  - \($0)" }.joined(separator: "\n")
        case .malformedReply(let what):
            "malformed netlink reply: \(what)"
        case .unencodable(let operations):
            "cannot build the netlink messages of \(operations.count) operation(s) (out of memory?), nothing was sent: "
                + operations.prefix(3).joined(separator: "; ") + (operations.count > 3 ? "; …" : "")
        case .generationChanged:
            "the ruleset changed while the transaction was computed; nothing was committed"
        }
    }

    /// `ENOENT (No such file or directory)` style text for an errno.
    static func errnoName(_ code: Int32) -> String {
        let names: [Int32: String] = [
            EPERM: "EPERM", ENOENT: "ENOENT", EEXIST: "EEXIST", EBUSY: "EBUSY", EINVAL: "EINVAL",
            ENOSPC: "ENOSPC", ENOBUFS: "ENOBUFS", ENOMEM: "ENOMEM", EOPNOTSUPP: "EOPNOTSUPP",
            ERANGE: "ERANGE", E2BIG: "E2BIG", ELOOP: "ELOOP", EAFNOSUPPORT: "EAFNOSUPPORT",
            EMSGSIZE: "EMSGSIZE", ENOTDIR: "ENOTDIR", EACCES: "EACCES", EINTR: "EINTR",
        ]
        let text = String(cString: strerror(code))
        return "\(names[code] ?? "errno \(code)") (\(text))"
    }
}
