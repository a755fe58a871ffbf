/// The kernel's view of nf_tables objects: what one netlink message carries. The typed, readable
/// model lives in SwitchyardNFT; `Lowering` turns it into these values, `BatchEncoder` into bytes.

/// nf_tables address families, as netlink numbers them.
public enum KernelFamily: UInt16, Sendable, Hashable {
    case ip = 2
    case ip6 = 10
    case inet = 1

    /// As nft spells it.
    public var name: String {
        switch self {
        case .ip: "ip"
        case .ip6: "ip6"
        case .inet: "inet"
        }
    }
}

/// A register of the nf_tables VM: `verdict`, the four 16-byte registers 1-4, or the sixteen 4-byte
/// registers that alias them (8 = first 4 bytes of register 1, 9 = next 4, …).
public struct KernelRegister: Sendable, Hashable, CustomStringConvertible {
    public let number: UInt32

    public static let verdict = KernelRegister(number: 0)
    /// The 16-byte register 1 (= 4-byte registers 8…11).
    public static let one = KernelRegister(number: 1)

    /// The 4-byte register at `index` (0…15). One that starts a 16-byte register is named as that
    /// register (word 4 is register 2), as nft writes it and the kernel lists it.
    public static func word(_ index: Int) -> KernelRegister {
        index % 4 == 0 ? KernelRegister(number: 1 + UInt32(index / 4)) : KernelRegister(number: 8 + UInt32(index))
    }

    public var description: String { "reg \(number)" }
}

/// A verdict, in a rule (`immediate`) or as the data of a verdict-map element.
public enum KernelVerdict: Sendable, Hashable {
    case accept, drop, `return`, `continue`
    case jump(String)
    case goto(String)

    /// The kernel's code for it.
    var code: Int32 {
        switch self {
        case .drop: 0
        case .accept: 1
        case .continue: -1
        case .jump: -3
        case .goto: -4
        case .return: -5
        }
    }

    var chain: String? {
        switch self {
        case .jump(let chain), .goto(let chain): chain
        default: nil
        }
    }
}

/// Comparison operators of `cmp`.
public enum KernelComparison: UInt32, Sendable, Hashable {
    case eq = 0, neq, lt, lte, gt, gte
}

/// Where a payload load starts.
public enum KernelPayloadBase: UInt32, Sendable, Hashable {
    case link = 0, network, transport
}

/// One expression of a rule, as the kernel executes it.
public enum KernelExpression: Sendable, Hashable {
    /// Load `length` bytes at `offset` of a header into a register.
    case payload(base: KernelPayloadBase, offset: UInt32, length: UInt32, into: KernelRegister)
    /// Load a meta key (`NFT_META_*`) into a register.
    case meta(key: UInt32, into: KernelRegister)
    /// Set a meta key (e.g. the mark) from a register.
    case metaSet(key: UInt32, from: KernelRegister)
    /// Load a conntrack key (`NFT_CT_*`) into a register.
    case ct(key: UInt32, into: KernelRegister)
    /// Compare a register with data; the rule stops when false.
    case cmp(KernelComparison, KernelRegister, [UInt8])
    /// `into = (source & mask) ^ xor`.
    case bitwise(source: KernelRegister, into: KernelRegister, mask: [UInt8], xor: [UInt8])
    /// Look a register (and the ones after it, for concatenations) up in a set; with `into`, a map
    /// lookup whose value lands there (`verdict` for verdict maps).
    case lookup(set: String, source: KernelRegister, into: KernelRegister?, inverted: Bool)
    /// Set the verdict.
    case verdict(KernelVerdict)
    /// Load constant data into a register.
    case immediate(into: KernelRegister, data: [UInt8])
    /// `numgen random|inc mod modulus` into a register.
    case numgen(into: KernelRegister, modulus: UInt32, incremental: Bool)
    /// `jhash` of `length` bytes from `source`, `mod modulus seed seed`, into a register.
    case jhash(source: KernelRegister, length: UInt32, modulus: UInt32, seed: UInt32, into: KernelRegister)
    /// `fib` lookup (flags `NFTA_FIB_F_*`, result `NFT_FIB_RESULT_*`) into a register.
    case fib(flags: UInt32, result: UInt32, into: KernelRegister)
    /// `socket` lookup of key `NFT_SOCKET_*` (0: transparent, one byte) into a register.
    case socket(key: UInt32, into: KernelRegister)
    /// Destination NAT to the address (and port) in registers.
    case dnat(family: KernelFamily, address: KernelRegister, port: KernelRegister?)
    /// Masquerade; `fullyRandom` sets NF_NAT_RANGE_PROTO_RANDOM_FULLY.
    case masquerade(fullyRandom: Bool)
    /// Reject: ICMP port unreachable (type 0 code 3 for ip; the icmpx form for inet) or TCP reset.
    case reject(tcpReset: Bool, family: KernelFamily)
    /// Add or refresh the key in registers in a dynamic set, with a timeout.
    case dynsetUpdate(set: String, key: KernelRegister, timeoutMilliseconds: UInt64?)
    /// Count packets and bytes.
    case counter
}

/// A rule: expressions in order, with an optional comment (kept as nft's user data).
public struct KernelRule: Sendable, Hashable {
    public var family: KernelFamily
    public var table: String
    public var chain: String
    public var expressions: [KernelExpression]
    public var comment: String?
    /// The kernel's handle, for replace/delete (and what a listing reports).
    public var handle: UInt64?

    public init(family: KernelFamily, table: String, chain: String, expressions: [KernelExpression], comment: String? = nil, handle: UInt64? = nil) {
        self.family = family
        self.table = table
        self.chain = chain
        self.expressions = expressions
        self.comment = comment
        self.handle = handle
    }
}

/// A chain; base chains carry their hook.
public struct KernelChain: Sendable, Hashable {
    public struct Hook: Sendable, Hashable {
        /// `filter`, `nat` or `route`.
        public var type: String
        /// NF_INET_* hook number (0 prerouting, 1 input, 2 forward, 3 output, 4 postrouting).
        public var number: UInt32
        public var priority: Int32
        /// Default verdict: accept (1) or drop (0).
        public var policyAccept: Bool

        public init(type: String, number: UInt32, priority: Int32, policyAccept: Bool = true) {
            self.type = type
            self.number = number
            self.priority = priority
            self.policyAccept = policyAccept
        }
    }

    public var family: KernelFamily
    public var table: String
    public var name: String
    public var hook: Hook?

    public init(family: KernelFamily, table: String, name: String, hook: Hook? = nil) {
        self.family = family
        self.table = table
        self.name = name
        self.hook = hook
    }
}

/// A set or map.
public struct KernelSet: Sendable, Hashable {
    public var family: KernelFamily
    public var table: String
    public var name: String
    /// `NFT_SET_*` flags (map, timeout, eval/dynamic, concat, interval, constant).
    public var flags: UInt32
    /// nft's datatype id of the key (concatenations pack 6 bits per part).
    public var keyType: UInt32
    public var keyLength: UInt32
    /// nft's datatype id of the data (0xffffff00 for verdicts), for maps.
    public var dataType: UInt32?
    public var dataLength: UInt32?
    /// Default element timeout.
    public var timeoutMilliseconds: UInt64?
    /// Lengths of the parts of a concatenated key, in bytes.
    public var concatLengths: [UInt8]
    /// nft's user data (byte order, `typeof` expressions), so `nft list` prints the set as written.
    public var userData: [UInt8]

    public static let verdictDataType: UInt32 = 0xffff_ff00

    public init(
        family: KernelFamily, table: String, name: String, flags: UInt32, keyType: UInt32, keyLength: UInt32,
        dataType: UInt32? = nil, dataLength: UInt32? = nil, timeoutMilliseconds: UInt64? = nil,
        concatLengths: [UInt8] = [], userData: [UInt8] = []
    ) {
        self.family = family
        self.table = table
        self.name = name
        self.flags = flags
        self.keyType = keyType
        self.keyLength = keyLength
        self.dataType = dataType
        // Verdict maps carry no data length of their own.
        self.dataLength = dataType == Self.verdictDataType ? nil : dataLength
        self.timeoutMilliseconds = timeoutMilliseconds
        self.concatLengths = concatLengths
        self.userData = userData
    }
}

/// One element of a set or map.
public struct KernelElement: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case none
        case data([UInt8])
        case verdict(KernelVerdict)
    }

    public var key: [UInt8]
    /// The inclusive end of a range, in sets of concatenations with intervals.
    public var keyEnd: [UInt8]?
    /// `NFT_SET_ELEM_INTERVAL_END` (1) marks where a range of a single-field interval set stops.
    public var flags: UInt32
    public var value: Value
    public var timeoutMilliseconds: UInt64?

    public init(key: [UInt8], keyEnd: [UInt8]? = nil, flags: UInt32 = 0, value: Value = .none, timeoutMilliseconds: UInt64? = nil) {
        self.key = key
        self.keyEnd = keyEnd
        self.flags = flags
        self.value = value
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Identifies the element within its set (a range's end marker shares no identity with a start).
    var identity: [UInt8] { key + (keyEnd ?? []) + [UInt8(truncatingIfNeeded: flags)] }
}

/// Describes the elements of one element operation, for error messages only: the description is
/// made when the kernel refuses an element, never on the way to the kernel (formatting 200,000
/// element labels costs more than sending them).
public struct ElementLabels: Sendable, Hashable, ExpressibleByArrayLiteral {
    public let count: Int
    private let describe: @Sendable (Int) -> String

    /// Labels made on demand from the element's index.
    public init(count: Int, describe: @escaping @Sendable (Int) -> String) {
        self.count = count
        self.describe = describe
    }

    public init(_ labels: [String]) {
        self.init(count: labels.count) { labels[$0] }
    }

    public init(arrayLiteral labels: String...) {
        self.init(labels)
    }

    /// The label of element `index`.
    public subscript(index: Int) -> String { describe(index) }

    /// Labels `range` of these.
    func slice(_ range: Range<Int>) -> ElementLabels {
        let describe = self.describe
        return ElementLabels(count: range.count) { describe(range.lowerBound + $0) }
    }

    // Labels never decide what is programmed: any two are equal.
    public static func == (lhs: ElementLabels, rhs: ElementLabels) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}

/// One operation of a transaction, with a description that names the object for error messages.
public struct KernelOperation: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case addTable(KernelFamily, String, comment: String? = nil)
        case deleteTable(KernelFamily, String)
        case flushTable(KernelFamily, String)
        case addChain(KernelChain)
        case deleteChain(KernelChain)
        case flushChain(KernelChain)
        case addRule(KernelRule)
        case insertRule(KernelRule)
        case replaceRule(KernelRule)
        case deleteRule(KernelRule)
        case addSet(KernelSet)
        case deleteSet(KernelSet)
        case flushSet(KernelSet)
        /// Elements with a description each (e.g. the service they belong to).
        case addElements(KernelSet, [KernelElement], labels: ElementLabels)
        case deleteElements(KernelSet, [KernelElement], labels: ElementLabels)
    }

    public var kind: Kind
    /// e.g. `add element to map service-slots`.
    public var label: String

    public init(_ kind: Kind, label: String) {
        self.kind = kind
        self.label = label
    }
}
