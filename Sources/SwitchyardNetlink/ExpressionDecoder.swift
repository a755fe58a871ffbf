import CSwitchyardNetfilter

/// Reads a libnftnl expression (from a rule the kernel listed) back into a `KernelExpression`, the
/// mirror of `ExpressionEncoder`. Expressions Switchyard never writes decode to nil, which makes the
/// rule differ from anything wanted, so reconciliation rewrites it.
enum ExpressionDecoder {
    static func decode(_ e: OpaquePointer, family: KernelFamily) -> KernelExpression? {
        guard let namePointer = nftnl_expr_get_str(e, UInt16(NFTNL_EXPR_NAME)) else { return nil }
        let register = { (attribute: Int) in KernelRegister(number: u32(e, attribute)) }
        switch String(cString: namePointer) {
        case "payload":
            guard let base = KernelPayloadBase(rawValue: u32(e, NFTNL_EXPR_PAYLOAD_BASE)) else { return nil }
            return .payload(base: base, offset: u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), length: u32(e, NFTNL_EXPR_PAYLOAD_LEN), into: register(NFTNL_EXPR_PAYLOAD_DREG))
        case "meta":
            if has(e, NFTNL_EXPR_META_SREG) {
                return .metaSet(key: u32(e, NFTNL_EXPR_META_KEY), from: register(NFTNL_EXPR_META_SREG))
            }
            return .meta(key: u32(e, NFTNL_EXPR_META_KEY), into: register(NFTNL_EXPR_META_DREG))
        case "ct":
            return .ct(key: u32(e, NFTNL_EXPR_CT_KEY), into: register(NFTNL_EXPR_CT_DREG))
        case "cmp":
            guard let op = KernelComparison(rawValue: u32(e, NFTNL_EXPR_CMP_OP)) else { return nil }
            return .cmp(op, register(NFTNL_EXPR_CMP_SREG), bytes(e, NFTNL_EXPR_CMP_DATA))
        case "bitwise":
            return .bitwise(source: register(NFTNL_EXPR_BITWISE_SREG), into: register(NFTNL_EXPR_BITWISE_DREG),
                            mask: bytes(e, NFTNL_EXPR_BITWISE_MASK), xor: bytes(e, NFTNL_EXPR_BITWISE_XOR))
        case "lookup":
            let into: KernelRegister? = has(e, NFTNL_EXPR_LOOKUP_DREG) ? register(NFTNL_EXPR_LOOKUP_DREG) : nil
            return .lookup(set: string(e, NFTNL_EXPR_LOOKUP_SET), source: register(NFTNL_EXPR_LOOKUP_SREG), into: into,
                           inverted: u32(e, NFTNL_EXPR_LOOKUP_FLAGS) & UInt32(NFT_LOOKUP_F_INV.rawValue) != 0)
        case "immediate":
            let destination = register(NFTNL_EXPR_IMM_DREG)
            guard destination == .verdict else { return .immediate(into: destination, data: bytes(e, NFTNL_EXPR_IMM_DATA)) }
            let chain = has(e, NFTNL_EXPR_IMM_CHAIN) ? string(e, NFTNL_EXPR_IMM_CHAIN) : ""
            switch Int32(bitPattern: u32(e, NFTNL_EXPR_IMM_VERDICT)) {
            case 0: return .verdict(.drop)
            case 1: return .verdict(.accept)
            case -1: return .verdict(.continue)
            case -3: return .verdict(.jump(chain))
            case -4: return .verdict(.goto(chain))
            case -5: return .verdict(.return)
            default: return nil
            }
        case "numgen":
            return .numgen(into: register(NFTNL_EXPR_NG_DREG), modulus: u32(e, NFTNL_EXPR_NG_MODULUS), incremental: u32(e, NFTNL_EXPR_NG_TYPE) == 0)
        case "hash":
            return .jhash(source: register(NFTNL_EXPR_HASH_SREG), length: u32(e, NFTNL_EXPR_HASH_LEN), modulus: u32(e, NFTNL_EXPR_HASH_MODULUS),
                          seed: u32(e, NFTNL_EXPR_HASH_SEED), into: register(NFTNL_EXPR_HASH_DREG))
        case "fib":
            return .fib(flags: u32(e, NFTNL_EXPR_FIB_FLAGS), result: u32(e, NFTNL_EXPR_FIB_RESULT), into: register(NFTNL_EXPR_FIB_DREG))
        case "socket":
            return .socket(key: u32(e, NFTNL_EXPR_SOCKET_KEY), into: register(NFTNL_EXPR_SOCKET_DREG))
        case "nat":
            guard u32(e, NFTNL_EXPR_NAT_TYPE) == 1, let natFamily = KernelFamily(rawValue: UInt16(u32(e, NFTNL_EXPR_NAT_FAMILY))) else { return nil }
            let port: KernelRegister? = has(e, NFTNL_EXPR_NAT_REG_PROTO_MIN) ? register(NFTNL_EXPR_NAT_REG_PROTO_MIN) : nil
            return .dnat(family: natFamily, address: register(NFTNL_EXPR_NAT_REG_ADDR_MIN), port: port)
        case "masq":
            return .masquerade(fullyRandom: u32(e, NFTNL_EXPR_MASQ_FLAGS) & 0x10 != 0)
        case "reject":
            return .reject(tcpReset: u32(e, NFTNL_EXPR_REJECT_TYPE) == 1, family: family)
        case "dynset":
            guard u32(e, NFTNL_EXPR_DYNSET_OP) == 1 else { return nil }
            // The kernel lists 0 for "no timeout of its own" (the set's default applies).
            let listed: UInt64 = has(e, NFTNL_EXPR_DYNSET_TIMEOUT) ? nftnl_expr_get_u64(e, UInt16(NFTNL_EXPR_DYNSET_TIMEOUT)) : 0
            let timeout: UInt64? = listed == 0 ? nil : listed
            return .dynsetUpdate(set: string(e, NFTNL_EXPR_DYNSET_SET_NAME), key: register(NFTNL_EXPR_DYNSET_SREG_KEY), timeoutMilliseconds: timeout)
        case "counter":
            return .counter
        default:
            return nil
        }
    }

    private static func has(_ e: OpaquePointer, _ attribute: Int) -> Bool {
        nftnl_expr_is_set(e, UInt16(attribute))
    }

    private static func u32(_ e: OpaquePointer, _ attribute: Int) -> UInt32 {
        has(e, attribute) ? nftnl_expr_get_u32(e, UInt16(attribute)) : 0
    }

    private static func string(_ e: OpaquePointer, _ attribute: Int) -> String {
        guard has(e, attribute), let pointer = nftnl_expr_get_str(e, UInt16(attribute)) else { return "" }
        return String(cString: pointer)
    }

    private static func bytes(_ e: OpaquePointer, _ attribute: Int) -> [UInt8] {
        var length: UInt32 = 0
        guard has(e, attribute), let pointer = nftnl_expr_get(e, UInt16(attribute), &length) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
    }
}
