import CSwitchyardNetfilter
#if canImport(Glibc)
import Glibc
#endif

/// Encodes `KernelOperation`s into a netlink batch through libnftnl's object builders.
enum BatchEncoder {
    /// Elements per NEWSETELEM message: the kernel takes < 64 KiB per message.
    static func elementsPerMessage(keyLength: Int, dataLength: Int) -> Int {
        let perElement = 40 + keyLength + dataLength + 32
        return max(1, (NetlinkBatch.maximumMessageSize - 1024) / perElement)
    }

    /// Appends `operation`'s messages; a set it creates (or, existing, updates) is declared with its
    /// size in `declaredSizes`, if any (see ``SetCapacity``).
    static func encode(_ operation: KernelOperation, into batch: NetlinkBatch, declaredSizes: [SetName: UInt32] = [:]) {
        let label = operation.label
        switch operation.kind {
        case .addTable(let family, let name, let comment):
            batch.append(label) { buffer, seq in table(buffer, seq, NFT_MSG_NEWTABLE, family, name, flags: NLM_F_CREATE, comment: comment) }
        case .deleteTable(let family, let name):
            batch.append(label) { buffer, seq in table(buffer, seq, NFT_MSG_DELTABLE, family, name, flags: 0) }
        case .flushTable(let family, let name):
            // Flushing a table deletes its rules (NFT_MSG_DELRULE without a chain).
            batch.append(label) { buffer, seq in
                guard let rule = nftnl_rule_alloc() else { return nil }
                defer { nftnl_rule_free(rule) }
                nftnl_rule_set_str(rule, UInt16(NFTNL_RULE_TABLE.rawValue), name)
                let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_DELRULE.rawValue), family.rawValue, 0, seq)
                nftnl_rule_nlmsg_build_payload(header, rule)
                return header
            }
        case .addChain(let chain):
            batch.append(label) { buffer, seq in self.chain(buffer, seq, NFT_MSG_NEWCHAIN, chain, flags: NLM_F_CREATE) }
        case .deleteChain(let chain):
            batch.append(label) { buffer, seq in self.chain(buffer, seq, NFT_MSG_DELCHAIN, chain, flags: 0) }
        case .flushChain(let chain):
            batch.append(label) { buffer, seq in
                guard let rule = nftnl_rule_alloc() else { return nil }
                defer { nftnl_rule_free(rule) }
                nftnl_rule_set_str(rule, UInt16(NFTNL_RULE_TABLE.rawValue), chain.table)
                nftnl_rule_set_str(rule, UInt16(NFTNL_RULE_CHAIN.rawValue), chain.name)
                let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_DELRULE.rawValue), chain.family.rawValue, 0, seq)
                nftnl_rule_nlmsg_build_payload(header, rule)
                return header
            }
        case .addRule(let rule):
            batch.append(label) { buffer, seq in self.rule(buffer, seq, NFT_MSG_NEWRULE, rule, flags: NLM_F_CREATE | NLM_F_APPEND) }
        case .insertRule(let rule):
            batch.append(label) { buffer, seq in self.rule(buffer, seq, NFT_MSG_NEWRULE, rule, flags: NLM_F_CREATE) }
        case .replaceRule(let rule):
            batch.append(label) { buffer, seq in self.rule(buffer, seq, NFT_MSG_NEWRULE, rule, flags: NLM_F_REPLACE) }
        case .deleteRule(let rule):
            batch.append(label) { buffer, seq in self.rule(buffer, seq, NFT_MSG_DELRULE, rule, flags: 0, withExpressions: false) }
        case .addSet(let set):
            // The kernel wants a batch-unique id on every new set.
            let id = batch.nextSetID()
            let size = declaredSizes[SetName(set)]
            batch.append(label) { buffer, seq in
                self.set(buffer, seq, NFT_MSG_NEWSET, set, flags: NLM_F_CREATE, full: true, id: id, size: size)
            }
        case .deleteSet(let set):
            batch.append(label) { buffer, seq in self.set(buffer, seq, NFT_MSG_DELSET, set, flags: 0, full: false) }
        case .flushSet(let set):
            // DELSETELEM without elements flushes the set.
            batch.append(label) { buffer, seq in
                guard let object = setObject(set, full: false) else { return nil }
                defer { nftnl_set_free(object) }
                let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_DELSETELEM.rawValue), set.family.rawValue, 0, seq)
                nftnl_set_elems_nlmsg_build_payload(header, object)
                return header
            }
        case .addElements(let set, let elements, let labels):
            elementMessages(set, elements, labels, operation: label, type: NFT_MSG_NEWSETELEM, flags: NLM_F_CREATE, into: batch)
        case .deleteElements(let set, let elements, let labels):
            elementMessages(set, elements, labels, operation: label, type: NFT_MSG_DELSETELEM, flags: 0, into: batch)
        }
    }

    // MARK: - Objects

    private static func table(
        _ buffer: UnsafeMutablePointer<CChar>, _ seq: UInt32, _ type: nf_tables_msg_types,
        _ family: KernelFamily, _ name: String, flags: Int32, comment: String? = nil
    ) -> UnsafeMutablePointer<nlmsghdr>? {
        guard let table = nftnl_table_alloc() else { return nil }
        defer { nftnl_table_free(table) }
        nftnl_table_set_str(table, UInt16(NFTNL_TABLE_NAME.rawValue), name)
        if let comment {
            let data = UserData.ruleComment(comment) // NFTNL_UDATA_TABLE_COMMENT is type 0 too
            data.withUnsafeBytes { bytes in
                _ = nftnl_table_set_data(table, UInt16(NFTNL_TABLE_USERDATA.rawValue), bytes.baseAddress, UInt32(bytes.count))
            }
        }
        let header = nftnl_nlmsg_build_hdr(buffer, UInt16(type.rawValue), family.rawValue, UInt16(flags), seq)
        nftnl_table_nlmsg_build_payload(header, table)
        return header
    }

    private static func chain(
        _ buffer: UnsafeMutablePointer<CChar>, _ seq: UInt32, _ type: nf_tables_msg_types,
        _ chain: KernelChain, flags: Int32
    ) -> UnsafeMutablePointer<nlmsghdr>? {
        guard let object = nftnl_chain_alloc() else { return nil }
        defer { nftnl_chain_free(object) }
        nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), chain.table)
        nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue), chain.name)
        if let hook = chain.hook, type == NFT_MSG_NEWCHAIN {
            nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue), hook.number)
            nftnl_chain_set_s32(object, UInt16(NFTNL_CHAIN_PRIO.rawValue), hook.priority)
            nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TYPE.rawValue), hook.type)
            nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_POLICY.rawValue), hook.policyAccept ? 1 : 0)
        }
        let header = nftnl_nlmsg_build_hdr(buffer, UInt16(type.rawValue), chain.family.rawValue, UInt16(flags), seq)
        nftnl_chain_nlmsg_build_payload(header, object)
        return header
    }

    private static func rule(
        _ buffer: UnsafeMutablePointer<CChar>, _ seq: UInt32, _ type: nf_tables_msg_types,
        _ rule: KernelRule, flags: Int32, withExpressions: Bool = true
    ) -> UnsafeMutablePointer<nlmsghdr>? {
        guard let object = nftnl_rule_alloc() else { return nil }
        defer { nftnl_rule_free(object) }
        nftnl_rule_set_str(object, UInt16(NFTNL_RULE_TABLE.rawValue), rule.table)
        nftnl_rule_set_str(object, UInt16(NFTNL_RULE_CHAIN.rawValue), rule.chain)
        if let handle = rule.handle { nftnl_rule_set_u64(object, UInt16(NFTNL_RULE_HANDLE.rawValue), handle) }
        if withExpressions {
            for expression in rule.expressions {
                // A rule without one of its expressions would match more than it says: no message.
                guard let encoded = ExpressionEncoder.encode(expression) else { return nil }
                nftnl_rule_add_expr(object, encoded)
            }
            if let comment = rule.comment {
                let data = UserData.ruleComment(comment)
                data.withUnsafeBytes { bytes in
                    _ = nftnl_rule_set_data(object, UInt16(NFTNL_RULE_USERDATA.rawValue), bytes.baseAddress, UInt32(bytes.count))
                }
            }
        }
        let header = nftnl_nlmsg_build_hdr(buffer, UInt16(type.rawValue), rule.family.rawValue, UInt16(flags), seq)
        nftnl_rule_nlmsg_build_payload(header, object)
        return header
    }

    private static func setObject(_ set: KernelSet, full: Bool) -> OpaquePointer? {
        guard let object = nftnl_set_alloc() else { return nil }
        nftnl_set_set_str(object, UInt16(NFTNL_SET_TABLE.rawValue), set.table)
        nftnl_set_set_str(object, UInt16(NFTNL_SET_NAME.rawValue), set.name)
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_FAMILY.rawValue), UInt32(set.family.rawValue))
        guard full else { return object }
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_FLAGS.rawValue), set.flags)
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_TYPE.rawValue), set.keyType)
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_LEN.rawValue), set.keyLength)
        if let dataType = set.dataType { nftnl_set_set_u32(object, UInt16(NFTNL_SET_DATA_TYPE.rawValue), dataType) }
        if let dataLength = set.dataLength { nftnl_set_set_u32(object, UInt16(NFTNL_SET_DATA_LEN.rawValue), dataLength) }
        if let timeout = set.timeoutMilliseconds { nftnl_set_set_u64(object, UInt16(NFTNL_SET_TIMEOUT.rawValue), timeout) }
        if set.concatLengths.count > 1 {
            var lengths = set.concatLengths
            lengths.withUnsafeMutableBytes { bytes in
                _ = nftnl_set_set_data(object, UInt16(NFTNL_SET_DESC_CONCAT.rawValue), bytes.baseAddress, UInt32(bytes.count))
            }
        }
        if !set.userData.isEmpty {
            set.userData.withUnsafeBytes { bytes in
                _ = nftnl_set_set_data(object, UInt16(NFTNL_SET_USERDATA.rawValue), bytes.baseAddress, UInt32(bytes.count))
            }
        }
        return object
    }

    private static func set(
        _ buffer: UnsafeMutablePointer<CChar>, _ seq: UInt32, _ type: nf_tables_msg_types,
        _ set: KernelSet, flags: Int32, full: Bool, id: UInt32? = nil, size: UInt32? = nil
    ) -> UnsafeMutablePointer<nlmsghdr>? {
        guard let object = setObject(set, full: full) else { return nil }
        defer { nftnl_set_free(object) }
        if let id { nftnl_set_set_u32(object, UInt16(NFTNL_SET_ID.rawValue), id) }
        if let size { nftnl_set_set_u32(object, UInt16(NFTNL_SET_DESC_SIZE.rawValue), size) }
        let header = nftnl_nlmsg_build_hdr(buffer, UInt16(type.rawValue), set.family.rawValue, UInt16(flags), seq)
        nftnl_set_nlmsg_build_payload(header, object)
        return header
    }

    private static func elementMessages(
        _ set: KernelSet, _ elements: [KernelElement], _ labels: ElementLabels, operation: String,
        type: nf_tables_msg_types, flags: Int32, into batch: NetlinkBatch
    ) {
        let chunk = elementsPerMessage(keyLength: Int(set.keyLength) * 2, dataLength: Int(set.dataLength ?? 0))
        var start = 0
        while start < elements.count {
            let end = min(start + chunk, elements.count)
            let slice = elements[start..<end]
            let sliceLabels = labels.slice(min(start, labels.count)..<min(end, labels.count))
            batch.append(.elements(operation: operation, elements: sliceLabels)) { buffer, seq in
                guard let object = setObject(set, full: false) else { return nil }
                defer { nftnl_set_free(object) }
                for element in slice {
                    guard let encoded = elementObject(element) else { return nil }
                    nftnl_set_elem_add(object, encoded)
                }
                let header = nftnl_nlmsg_build_hdr(buffer, UInt16(type.rawValue), set.family.rawValue, UInt16(flags), seq)
                nftnl_set_elems_nlmsg_build_payload(header, object)
                return header
            }
            start = end
        }
    }

    private static func elementObject(_ element: KernelElement) -> OpaquePointer? {
        guard let object = nftnl_set_elem_alloc() else { return nil }
        element.key.withUnsafeBytes { bytes in
            _ = nftnl_set_elem_set(object, UInt16(NFTNL_SET_ELEM_KEY), bytes.baseAddress, UInt32(bytes.count))
        }
        if let keyEnd = element.keyEnd {
            keyEnd.withUnsafeBytes { bytes in
                _ = nftnl_set_elem_set(object, UInt16(NFTNL_SET_ELEM_KEY_END), bytes.baseAddress, UInt32(bytes.count))
            }
        }
        if element.flags != 0 { nftnl_set_elem_set_u32(object, UInt16(NFTNL_SET_ELEM_FLAGS), element.flags) }
        switch element.value {
        case .none:
            break
        case .data(let data):
            data.withUnsafeBytes { bytes in
                _ = nftnl_set_elem_set(object, UInt16(NFTNL_SET_ELEM_DATA), bytes.baseAddress, UInt32(bytes.count))
            }
        case .verdict(let verdict):
            nftnl_set_elem_set_u32(object, UInt16(NFTNL_SET_ELEM_VERDICT), UInt32(bitPattern: verdict.code))
            if let chain = verdict.chain {
                _ = nftnl_set_elem_set_str(object, UInt16(NFTNL_SET_ELEM_CHAIN), chain)
            }
        }
        if let timeout = element.timeoutMilliseconds {
            nftnl_set_elem_set_u64(object, UInt16(NFTNL_SET_ELEM_TIMEOUT), timeout)
        }
        return object
    }
}
