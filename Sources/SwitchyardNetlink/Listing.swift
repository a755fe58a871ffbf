import CSwitchyardNetfilter
#if canImport(Glibc)
import Glibc
#endif

extension NetfilterSocket {
    /// Reads one table back: chains, rules (in order, with handles), sets and their elements, but
    /// not the elements of the sets named in `skippingElementsOf` (listed in `unreadElements`).
    /// A table that does not exist lists as `exists == false`.
    public func list(family: KernelFamily, table: String, skippingElementsOf skipped: Set<String> = []) throws(NetlinkError) -> KernelRuleset {
        var ruleset = KernelRuleset(family: family, table: table)
        guard try listTables().contains(where: { $0.name == table && $0.family == family.name }) else {
            ruleset.exists = false
            return ruleset
        }
        ruleset.comment = try tableComment(family: family, table: table)
        try listChains(into: &ruleset)
        try listRules(into: &ruleset)
        try listSets(into: &ruleset)
        for name in ruleset.sets.keys.sorted() {
            guard let set = ruleset.sets[name] else { continue }
            if skipped.contains(name) {
                ruleset.unreadElements.insert(name)
                continue
            }
            ruleset.elements[name] = try listElements(of: set)
        }
        return ruleset
    }

    /// The sizes the table's sets were declared with (``KernelRuleset/declaredSizes``), without
    /// reading any elements.
    func declaredSetSizes(family: KernelFamily, table: String) throws(NetlinkError) -> [String: UInt32] {
        var ruleset = KernelRuleset(family: family, table: table)
        try listSets(into: &ruleset)
        return ruleset.declaredSizes
    }

    private func tableComment(family: KernelFamily, table: String) throws(NetlinkError) -> String? {
        var comment: String?
        try dump("table \(family.name) \(table)", build: { buffer, seq in
            nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_GETTABLE.rawValue), family.rawValue, UInt16(NLM_F_DUMP), seq)
        }, each: { message throws(NetlinkError) in
            guard let object = nftnl_table_alloc() else { throw .malformedReply("cannot allocate a table") }
            defer { nftnl_table_free(object) }
            guard nftnl_table_nlmsg_parse(message, object) >= 0 else { throw .malformedReply("NEWTABLE message") }
            guard String(cString: nftnl_table_get_str(object, UInt16(NFTNL_TABLE_NAME.rawValue))) == table else { return }
            var length: UInt32 = 0
            if nftnl_table_is_set(object, UInt16(NFTNL_TABLE_USERDATA.rawValue)),
               let data = nftnl_table_get_data(object, UInt16(NFTNL_TABLE_USERDATA.rawValue), &length) {
                comment = UserData.comment(in: Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
            }
        })
        return comment
    }

    private func listChains(into ruleset: inout KernelRuleset) throws(NetlinkError) {
        let (family, table) = (ruleset.family, ruleset.table)
        var chains: [String: KernelChain] = [:]
        try dump("chains of table \(family.name) \(table)", build: { buffer, seq in
            guard let object = nftnl_chain_alloc() else { return nil }
            defer { nftnl_chain_free(object) }
            nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), table)
            let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_GETCHAIN.rawValue), family.rawValue, UInt16(NLM_F_DUMP), seq)
            nftnl_chain_nlmsg_build_payload(header, object)
            return header
        }, each: { message throws(NetlinkError) in
            guard let object = nftnl_chain_alloc() else { throw .malformedReply("cannot allocate a chain") }
            defer { nftnl_chain_free(object) }
            guard nftnl_chain_nlmsg_parse(message, object) >= 0 else { throw .malformedReply("NEWCHAIN message") }
            guard String(cString: nftnl_chain_get_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue))) == table else { return }
            let name = String(cString: nftnl_chain_get_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue)))
            var chain = KernelChain(family: family, table: table, name: name)
            if nftnl_chain_is_set(object, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue)) {
                chain.hook = .init(
                    type: String(cString: nftnl_chain_get_str(object, UInt16(NFTNL_CHAIN_TYPE.rawValue))),
                    number: nftnl_chain_get_u32(object, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue)),
                    priority: nftnl_chain_get_s32(object, UInt16(NFTNL_CHAIN_PRIO.rawValue)),
                    policyAccept: nftnl_chain_get_u32(object, UInt16(NFTNL_CHAIN_POLICY.rawValue)) == 1)
            }
            chains[name] = chain
        })
        ruleset.chains = chains
    }

    private func listRules(into ruleset: inout KernelRuleset) throws(NetlinkError) {
        let (family, table) = (ruleset.family, ruleset.table)
        var rules: [String: [KernelRule]] = [:]
        try dump("rules of table \(family.name) \(table)", build: { buffer, seq in
            guard let object = nftnl_rule_alloc() else { return nil }
            defer { nftnl_rule_free(object) }
            nftnl_rule_set_str(object, UInt16(NFTNL_RULE_TABLE.rawValue), table)
            let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_GETRULE.rawValue), family.rawValue, UInt16(NLM_F_DUMP), seq)
            nftnl_rule_nlmsg_build_payload(header, object)
            return header
        }, each: { message throws(NetlinkError) in
            guard let object = nftnl_rule_alloc() else { throw .malformedReply("cannot allocate a rule") }
            defer { nftnl_rule_free(object) }
            guard nftnl_rule_nlmsg_parse(message, object) >= 0 else { throw .malformedReply("NEWRULE message") }
            guard String(cString: nftnl_rule_get_str(object, UInt16(NFTNL_RULE_TABLE.rawValue))) == table else { return }
            let chain = String(cString: nftnl_rule_get_str(object, UInt16(NFTNL_RULE_CHAIN.rawValue)))
            var expressions: [KernelExpression] = []
            var understood = true
            if let iterator = nftnl_expr_iter_create(object) {
                while let expression = nftnl_expr_iter_next(iterator) {
                    if let decoded = ExpressionDecoder.decode(expression, family: family) {
                        expressions.append(decoded)
                    } else {
                        understood = false
                    }
                }
                nftnl_expr_iter_destroy(iterator)
            }
            var comment: String?
            var length: UInt32 = 0
            if nftnl_rule_is_set(object, UInt16(NFTNL_RULE_USERDATA.rawValue)),
               let data = nftnl_rule_get_data(object, UInt16(NFTNL_RULE_USERDATA.rawValue), &length) {
                comment = UserData.comment(in: Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
            }
            // A rule with expressions Switchyard does not write can never equal a wanted rule: keep a
            // marker so that the chain is rewritten.
            if !understood { comment = (comment ?? "") + "\u{0}foreign" }
            let handle = nftnl_rule_get_u64(object, UInt16(NFTNL_RULE_HANDLE.rawValue))
            rules[chain, default: []].append(KernelRule(family: family, table: table, chain: chain, expressions: expressions, comment: comment, handle: handle))
        })
        ruleset.rules = rules
    }

    private func listSets(into ruleset: inout KernelRuleset) throws(NetlinkError) {
        let (family, table) = (ruleset.family, ruleset.table)
        var sets: [String: KernelSet] = [:]
        var sizes: [String: UInt32] = [:]
        try dump("sets of table \(family.name) \(table)", build: { buffer, seq in
            guard let object = nftnl_set_alloc() else { return nil }
            defer { nftnl_set_free(object) }
            nftnl_set_set_str(object, UInt16(NFTNL_SET_TABLE.rawValue), table)
            let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_GETSET.rawValue), family.rawValue, UInt16(NLM_F_DUMP), seq)
            nftnl_set_nlmsg_build_payload(header, object)
            return header
        }, each: { message throws(NetlinkError) in
            guard let object = nftnl_set_alloc() else { throw .malformedReply("cannot allocate a set") }
            defer { nftnl_set_free(object) }
            guard nftnl_set_nlmsg_parse(message, object) >= 0 else { throw .malformedReply("NEWSET message") }
            guard String(cString: nftnl_set_get_str(object, UInt16(NFTNL_SET_TABLE.rawValue))) == table else { return }
            let attribute = { (a: nftnl_set_attr) in UInt16(a.rawValue) }
            let isSet = { (a: nftnl_set_attr) in nftnl_set_is_set(object, attribute(a)) }
            var set = KernelSet(
                family: family, table: table,
                name: String(cString: nftnl_set_get_str(object, attribute(NFTNL_SET_NAME))),
                flags: nftnl_set_get_u32(object, attribute(NFTNL_SET_FLAGS)),
                keyType: nftnl_set_get_u32(object, attribute(NFTNL_SET_KEY_TYPE)),
                keyLength: nftnl_set_get_u32(object, attribute(NFTNL_SET_KEY_LEN)))
            if isSet(NFTNL_SET_DATA_TYPE) { set.dataType = nftnl_set_get_u32(object, attribute(NFTNL_SET_DATA_TYPE)) }
            // Verdict maps carry no data length of their own (the kernel reports its internal 16).
            if isSet(NFTNL_SET_DATA_LEN), set.dataType != KernelSet.verdictDataType { set.dataLength = nftnl_set_get_u32(object, attribute(NFTNL_SET_DATA_LEN)) }
            if isSet(NFTNL_SET_TIMEOUT) { set.timeoutMilliseconds = nftnl_set_get_u64(object, attribute(NFTNL_SET_TIMEOUT)) }
            var length: UInt32 = 0
            if isSet(NFTNL_SET_USERDATA), let data = nftnl_set_get_data(object, attribute(NFTNL_SET_USERDATA), &length) {
                set.userData = Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
            }
            if isSet(NFTNL_SET_DESC_CONCAT), let data = nftnl_set_get_data(object, attribute(NFTNL_SET_DESC_CONCAT), &length), length > 1 {
                set.concatLengths = Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
            }
            if isSet(NFTNL_SET_DESC_SIZE) { sizes[set.name] = nftnl_set_get_u32(object, attribute(NFTNL_SET_DESC_SIZE)) }
            sets[set.name] = set
        })
        ruleset.sets = sets
        ruleset.declaredSizes = sizes
    }

    private func listElements(of set: KernelSet) throws(NetlinkError) -> [KernelElement] {
        var elements: [KernelElement] = []
        try dump("elements of set \(set.name)", build: { buffer, seq in
            guard let object = nftnl_set_alloc() else { return nil }
            defer { nftnl_set_free(object) }
            nftnl_set_set_str(object, UInt16(NFTNL_SET_TABLE.rawValue), set.table)
            nftnl_set_set_str(object, UInt16(NFTNL_SET_NAME.rawValue), set.name)
            let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_GETSETELEM.rawValue), set.family.rawValue, UInt16(NLM_F_DUMP), seq)
            nftnl_set_elems_nlmsg_build_payload(header, object)
            return header
        }, each: { message throws(NetlinkError) in
            guard let object = nftnl_set_alloc() else { throw .malformedReply("cannot allocate a set") }
            defer { nftnl_set_free(object) }
            guard nftnl_set_elems_nlmsg_parse(message, object) >= 0 else { throw .malformedReply("NEWSETELEM message") }
            final class Collector { var elements: [KernelElement] = [] }
            let collector = Collector()
            _ = nftnl_set_elem_foreach(object, { element, context in
                guard let element, let context else { return 0 }
                Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().elements.append(NetfilterSocket.element(element))
                return 0
            }, Unmanaged.passUnretained(collector).toOpaque())
            elements += collector.elements
        })
        return elements
    }

    fileprivate static func element(_ e: OpaquePointer) -> KernelElement {
        func bytes(_ attribute: Int) -> [UInt8] {
            var length: UInt32 = 0
            guard nftnl_set_elem_is_set(e, UInt16(attribute)), let data = nftnl_set_elem_get(e, UInt16(attribute), &length) else { return [] }
            return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
        }
        var element = KernelElement(key: bytes(NFTNL_SET_ELEM_KEY))
        let end = bytes(NFTNL_SET_ELEM_KEY_END)
        if !end.isEmpty { element.keyEnd = end }
        if nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_FLAGS)) {
            element.flags = nftnl_set_elem_get_u32(e, UInt16(NFTNL_SET_ELEM_FLAGS))
        }
        if nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_VERDICT)) {
            let chain = nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_CHAIN)) ? String(cString: nftnl_set_elem_get_str(e, UInt16(NFTNL_SET_ELEM_CHAIN))) : ""
            switch Int32(bitPattern: nftnl_set_elem_get_u32(e, UInt16(NFTNL_SET_ELEM_VERDICT))) {
            case 0: element.value = .verdict(.drop)
            case 1: element.value = .verdict(.accept)
            case -3: element.value = .verdict(.jump(chain))
            case -4: element.value = .verdict(.goto(chain))
            case -5: element.value = .verdict(.return)
            default: element.value = .verdict(.continue)
            }
        } else if nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_DATA)) {
            element.value = .data(bytes(NFTNL_SET_ELEM_DATA))
        }
        if nftnl_set_elem_is_set(e, UInt16(NFTNL_SET_ELEM_TIMEOUT)) {
            element.timeoutMilliseconds = nftnl_set_elem_get_u64(e, UInt16(NFTNL_SET_ELEM_TIMEOUT))
        }
        return element
    }
}
