import CSwitchyardNetfilter

/// Encodes one `KernelExpression` as a libnftnl expression object (owned by the rule it is added to).
enum ExpressionEncoder {
    static func encode(_ expression: KernelExpression) -> OpaquePointer? {
        switch expression {
        case .payload(let base, let offset, let length, let into):
            return make("payload") { e in
                u32(e, NFTNL_EXPR_PAYLOAD_DREG, into.number)
                u32(e, NFTNL_EXPR_PAYLOAD_BASE, base.rawValue)
                u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset)
                u32(e, NFTNL_EXPR_PAYLOAD_LEN, length)
            }
        case .meta(let key, let into):
            return make("meta") { e in
                u32(e, NFTNL_EXPR_META_KEY, key)
                u32(e, NFTNL_EXPR_META_DREG, into.number)
            }
        case .metaSet(let key, let from):
            return make("meta") { e in
                u32(e, NFTNL_EXPR_META_KEY, key)
                u32(e, NFTNL_EXPR_META_SREG, from.number)
            }
        case .ct(let key, let into):
            return make("ct") { e in
                u32(e, NFTNL_EXPR_CT_KEY, key)
                u32(e, NFTNL_EXPR_CT_DREG, into.number)
            }
        case .cmp(let op, let register, let data):
            return make("cmp") { e in
                u32(e, NFTNL_EXPR_CMP_SREG, register.number)
                u32(e, NFTNL_EXPR_CMP_OP, op.rawValue)
                bytes(e, NFTNL_EXPR_CMP_DATA, data)
            }
        case .bitwise(let source, let into, let mask, let xor):
            return make("bitwise") { e in
                u32(e, NFTNL_EXPR_BITWISE_SREG, source.number)
                u32(e, NFTNL_EXPR_BITWISE_DREG, into.number)
                u32(e, NFTNL_EXPR_BITWISE_LEN, UInt32(mask.count))
                bytes(e, NFTNL_EXPR_BITWISE_MASK, mask)
                bytes(e, NFTNL_EXPR_BITWISE_XOR, xor)
            }
        case .lookup(let set, let source, let into, let inverted):
            return make("lookup") { e in
                u32(e, NFTNL_EXPR_LOOKUP_SREG, source.number)
                string(e, NFTNL_EXPR_LOOKUP_SET, set)
                if let into { u32(e, NFTNL_EXPR_LOOKUP_DREG, into.number) }
                if inverted { u32(e, NFTNL_EXPR_LOOKUP_FLAGS, UInt32(NFT_LOOKUP_F_INV.rawValue)) }
            }
        case .verdict(let verdict):
            return make("immediate") { e in
                u32(e, NFTNL_EXPR_IMM_DREG, KernelRegister.verdict.number)
                u32(e, NFTNL_EXPR_IMM_VERDICT, UInt32(bitPattern: verdict.code))
                if let chain = verdict.chain { string(e, NFTNL_EXPR_IMM_CHAIN, chain) }
            }
        case .immediate(let into, let data):
            return make("immediate") { e in
                u32(e, NFTNL_EXPR_IMM_DREG, into.number)
                bytes(e, NFTNL_EXPR_IMM_DATA, data)
            }
        case .numgen(let into, let modulus, let incremental):
            return make("numgen") { e in
                u32(e, NFTNL_EXPR_NG_DREG, into.number)
                u32(e, NFTNL_EXPR_NG_MODULUS, modulus)
                u32(e, NFTNL_EXPR_NG_TYPE, incremental ? 0 : 1) // NFT_NG_INCREMENTAL, NFT_NG_RANDOM
                u32(e, NFTNL_EXPR_NG_OFFSET, 0)
            }
        case .jhash(let source, let length, let modulus, let seed, let into):
            return make("hash") { e in
                u32(e, NFTNL_EXPR_HASH_TYPE, 0) // NFT_HASH_JENKINS
                u32(e, NFTNL_EXPR_HASH_SREG, source.number)
                u32(e, NFTNL_EXPR_HASH_DREG, into.number)
                u32(e, NFTNL_EXPR_HASH_LEN, length)
                u32(e, NFTNL_EXPR_HASH_MODULUS, modulus)
                u32(e, NFTNL_EXPR_HASH_SEED, seed)
                u32(e, NFTNL_EXPR_HASH_OFFSET, 0)
            }
        case .fib(let flags, let result, let into):
            return make("fib") { e in
                u32(e, NFTNL_EXPR_FIB_FLAGS, flags)
                u32(e, NFTNL_EXPR_FIB_RESULT, result)
                u32(e, NFTNL_EXPR_FIB_DREG, into.number)
            }
        case .socket(let key, let into):
            return make("socket") { e in
                u32(e, NFTNL_EXPR_SOCKET_KEY, key)
                u32(e, NFTNL_EXPR_SOCKET_DREG, into.number)
            }
        case .dnat(let family, let address, let port):
            return make("nat") { e in
                u32(e, NFTNL_EXPR_NAT_TYPE, 1) // NFT_NAT_DNAT
                u32(e, NFTNL_EXPR_NAT_FAMILY, UInt32(family.rawValue))
                u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, address.number)
                if let port { u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port.number) }
            }
        case .masquerade(let fullyRandom):
            return make("masq") { e in
                if fullyRandom { u32(e, NFTNL_EXPR_MASQ_FLAGS, 0x10) } // NF_NAT_RANGE_PROTO_RANDOM_FULLY
            }
        case .reject(let tcpReset, let family):
            return make("reject") { e in
                if tcpReset {
                    u32(e, NFTNL_EXPR_REJECT_TYPE, 1) // NFT_REJECT_TCP_RST
                    u32(e, NFTNL_EXPR_REJECT_CODE, 0)
                } else if family == .inet {
                    u32(e, NFTNL_EXPR_REJECT_TYPE, 2) // NFT_REJECT_ICMPX_UNREACH
                    u32(e, NFTNL_EXPR_REJECT_CODE, 1) // NFT_REJECT_ICMPX_PORT_UNREACH
                } else {
                    u32(e, NFTNL_EXPR_REJECT_TYPE, 0) // NFT_REJECT_ICMP_UNREACH
                    u32(e, NFTNL_EXPR_REJECT_CODE, family == .ip6 ? 4 : 3) // port unreachable
                }
            }
        case .dynsetUpdate(let set, let key, let timeout):
            return make("dynset") { e in
                u32(e, NFTNL_EXPR_DYNSET_OP, 1) // NFT_DYNSET_OP_UPDATE
                u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, key.number)
                string(e, NFTNL_EXPR_DYNSET_SET_NAME, set)
                if let timeout { nftnl_expr_set_u64(e, UInt16(NFTNL_EXPR_DYNSET_TIMEOUT), timeout) }
            }
        case .counter:
            return make("counter") { _ in }
        }
    }

    private static func make(_ name: String, _ configure: (OpaquePointer) -> Void) -> OpaquePointer? {
        guard let expression = nftnl_expr_alloc(name) else { return nil }
        configure(expression)
        return expression
    }

    private static func u32(_ e: OpaquePointer, _ attribute: some BinaryInteger, _ value: UInt32) {
        nftnl_expr_set_u32(e, UInt16(attribute), value)
    }

    private static func string(_ e: OpaquePointer, _ attribute: some BinaryInteger, _ value: String) {
        _ = nftnl_expr_set_str(e, UInt16(attribute), value)
    }

    private static func bytes(_ e: OpaquePointer, _ attribute: some BinaryInteger, _ value: [UInt8]) {
        value.withUnsafeBytes { raw in
            _ = nftnl_expr_set(e, UInt16(attribute), raw.baseAddress, UInt32(raw.count))
        }
    }
}
