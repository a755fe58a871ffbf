import SwitchyardNFT

/// Turns the typed nftables model (what the compiler produces and `nft -f` text renders) into the
/// kernel's objects: register loads, comparisons, lookups, element bytes — the same bytecode nft
/// itself would emit for the same text, so `nft list` reads Switchyard's tables back as written.
public enum Lowering {
    // MARK: - Objects

    public static func family(_ family: Family) -> KernelFamily {
        switch family {
        case .ip: .ip
        case .ip6: .ip6
        case .inet: .inet
        }
    }

    public static func chain(_ chain: Chain) -> KernelChain {
        var lowered = KernelChain(family: family(chain.table.family), table: chain.table.name, name: chain.name)
        if let base = chain.base {
            let hook: UInt32 = switch base.hook {
            case .prerouting: 0
            case .input: 1
            case .forward: 2
            case .output: 3
            case .postrouting: 4
            }
            lowered.hook = .init(type: base.type.rawValue, number: hook, priority: Int32(base.priority.value), policyAccept: base.policy != .drop)
        }
        return lowered
    }

    public static func set(_ set: NamedSet) throws(LoweringError) -> KernelSet {
        let key = try KeyLayout(set.key)
        var flags: UInt32 = 0
        for flag in set.flags {
            switch flag {
            case .constant: flags |= 0x2
            case .interval: flags |= 0x4
            case .timeout: flags |= 0x10
            case .dynamic: flags |= 0x20
            }
        }
        if flags & 0x4 != 0 && key.isConcatenation { flags |= 0x80 } // NFT_SET_CONCAT: ranges over concatenations
        var lowered = KernelSet(
            family: family(set.table.family), table: set.table.name, name: set.name, flags: flags,
            keyType: key.type, keyLength: UInt32(key.length),
            timeoutMilliseconds: set.timeout.map { UInt64($0) * 1000 },
            concatLengths: flags & 0x80 != 0 ? key.fields.map { UInt8($0.length) } : [])
        var userData: [UInt8]
        switch set.data {
        case nil:
            userData = UserData.set(keyByteOrder: key.byteOrder, keyTypeof: key.typeof)
        case .verdict:
            lowered.flags |= 0x8
            lowered.dataType = KernelSet.verdictDataType
            userData = UserData.set(keyByteOrder: key.byteOrder, keyTypeof: key.typeof)
        case .data(let spec):
            let data = try KeyLayout(spec)
            lowered.flags |= 0x8
            lowered.dataType = data.type
            lowered.dataLength = UInt32(data.length)
            userData = UserData.set(keyByteOrder: key.byteOrder, dataByteOrder: data.byteOrder, keyTypeof: key.typeof, dataTypeof: data.typeof)
        }
        if let comment = set.comment { userData += UserData.tlv(7, Array(comment.utf8) + [0]) }
        lowered.userData = userData
        return lowered
    }

    /// The kernel elements of typed elements. Sets with intervals store ranges: a concatenation as
    /// start and inclusive end in one element; a single field as a start element and an end marker
    /// (`NFT_SET_ELEM_INTERVAL_END`) just past the range, overlapping and touching ranges merged.
    public static func elements(_ elements: [Element], of set: NamedSet) throws(LoweringError) -> [KernelElement] {
        guard set.flags.contains(.interval) else {
            let layout = try ElementLayout(set)
            var lowered: [KernelElement] = []
            lowered.reserveCapacity(elements.count)
            for typed in elements { lowered.append(try layout.element(typed, keyOverride: nil)) }
            return lowered
        }
        let key = try KeyLayout(set.key)
        var ranges: [(start: [UInt8], end: [UInt8], element: Element)] = []
        for typed in elements {
            let (start, end) = try key.range(of: typed.key, in: "element \(typed) of \(set.kind) \(set.name)")
            ranges.append((start, end, typed))
        }
        if key.isConcatenation {
            let layout = try ElementLayout(set)
            var lowered: [KernelElement] = []
            for range in ranges {
                var element = try layout.element(range.element, keyOverride: range.start)
                element.keyEnd = range.end
                lowered.append(element)
            }
            return lowered
        }
        // Single field: merge, then start + end-marker pairs in address order.
        ranges.sort { $0.start.lexicographicallyPrecedes($1.start) }
        var merged: [(start: [UInt8], end: [UInt8])] = []
        for range in ranges {
            if let last = merged.last, let next = successor(last.end), !range.start.lexicographicallyPrecedes(last.start),
               !next.lexicographicallyPrecedes(range.start) {
                if last.end.lexicographicallyPrecedes(range.end) { merged[merged.count - 1].end = range.end }
            } else if let last = merged.last, successor(last.end) == nil {
                continue // the previous range runs to the last address
            } else {
                merged.append((range.start, range.end))
            }
        }
        var lowered: [KernelElement] = []
        for range in merged {
            lowered.append(KernelElement(key: range.start))
            if let end = successor(range.end) { lowered.append(KernelElement(key: end, flags: 1)) }
        }
        return lowered
    }

    /// The address after `bytes` (big-endian), or nil past the last one.
    private static func successor(_ bytes: [UInt8]) -> [UInt8]? {
        var next = bytes
        for index in next.indices.reversed() {
            if next[index] == 0xff {
                next[index] = 0
            } else {
                next[index] += 1
                return next
            }
        }
        return nil
    }

    public static func element(_ element: Element, of set: NamedSet) throws(LoweringError) -> KernelElement {
        try ElementLayout(set).element(element, keyOverride: nil)
    }

    /// A set's key and data layouts, worked out once per batch of elements.
    private struct ElementLayout {
        let set: NamedSet
        let key: KeyLayout
        let data: KeyLayout?

        init(_ set: NamedSet) throws(LoweringError) {
            self.set = set
            key = try KeyLayout(set.key)
            if case .data(let spec)? = set.data { data = try KeyLayout(spec) } else { data = nil }
        }

        /// One element; its description is only made for an error. Reads `set` in place: copying the
        /// definition per element (names, key spec) cost as much as encoding the element.
        func element(_ element: Element, keyOverride: [UInt8]?) throws(LoweringError) -> KernelElement {
            let bytes: [UInt8]
            if let keyOverride { bytes = keyOverride } else { bytes = try key.bytes(of: element.key, in: label(element)) }
            var lowered = KernelElement(key: bytes, timeoutMilliseconds: element.timeout.map { UInt64($0) * 1000 })
            switch element.data {
            case nil:
                guard set.data == nil else { throw mismatch(element) }
            case .verdict(let verdict)?:
                guard case .verdict? = set.data else { throw mismatch(element) }
                lowered.value = .verdict(Lowering.verdict(verdict))
            case .values(let values)?:
                guard let data else { throw mismatch(element) }
                lowered.value = .data(try data.bytes(of: values, in: label(element)))
            }
            return lowered
        }

        private func label(_ element: Element) -> String { "element \(element) of \(set.kind) \(set.name)" }

        private func mismatch(_ element: Element) -> LoweringError {
            LoweringError(object: label(element), reason: "the element's data does not match the \(set.kind)'s")
        }
    }

    public static func rule(_ rule: Rule) throws(LoweringError) -> KernelRule {
        var expressions: [KernelExpression] = []
        let family = family(rule.table.family)
        for statement in rule.statements {
            expressions += try lower(statement, family: family, in: "rule \(rule.table) \(rule.chain): \(rule.body)")
        }
        return KernelRule(family: family, table: rule.table.name, chain: rule.chain, expressions: expressions, comment: rule.comment,
                          handle: rule.handle.map { UInt64($0) })
    }

    /// One table of a typed ruleset, as kernel objects.
    public static func kernelRuleset(_ ruleset: Ruleset, table: TableRef) throws(LoweringError) -> KernelRuleset {
        var lowered = KernelRuleset(family: family(table.family), table: table.name)
        guard let state = ruleset.tables[table] else {
            lowered.exists = false
            return lowered
        }
        lowered.comment = state.table.comment
        for (name, chainState) in state.chains {
            lowered.chains[name] = chain(chainState.definition)
            var rules: [KernelRule] = []
            for typed in chainState.rules {
                var kernelRule = try rule(typed)
                kernelRule.handle = nil
                rules.append(kernelRule)
            }
            lowered.rules[name] = rules
        }
        for (name, setState) in state.sets {
            lowered.sets[name] = try set(setState.definition)
            // Only interval sets of concatenations list in insertion order; sort just those.
            let typed = setState.definition.flags.contains(.interval) ? setState.sortedElements : Array(setState.elements.values)
            lowered.elements[name] = try elements(typed, of: setState.definition)
        }
        return lowered
    }

    /// A typed transaction as kernel operations. Element operations take each set's definition from
    /// the transaction itself (``Transaction/setDefinition(_:_:)``): it is self-contained.
    public static func operations(_ transaction: Transaction) throws(LoweringError) -> [KernelOperation] {
        var result: [KernelOperation] = []
        for operation in transaction.operations {
            // Element batches label themselves: their full text would be as long as the batch.
            lazy var label = operation.description
            switch (operation.verb, operation.object) {
            case (.add, .table(let table)), (.create, .table(let table)):
                result.append(KernelOperation(.addTable(family(table.ref.family), table.ref.name, comment: table.comment), label: label))
            case (.delete, .table(let table)):
                result.append(KernelOperation(.deleteTable(family(table.ref.family), table.ref.name), label: label))
            case (.flush, .table(let table)):
                result.append(KernelOperation(.flushTable(family(table.ref.family), table.ref.name), label: label))
            case (.add, .chain(let typed)), (.create, .chain(let typed)):
                result.append(KernelOperation(.addChain(chain(typed)), label: label))
            case (.delete, .chain(let typed)):
                result.append(KernelOperation(.deleteChain(chain(typed)), label: label))
            case (.flush, .chain(let typed)):
                result.append(KernelOperation(.flushChain(chain(typed)), label: label))
            case (.add, .rule(let typed)), (.create, .rule(let typed)):
                result.append(KernelOperation(.addRule(try rule(typed)), label: label))
            case (.insert, .rule(let typed)):
                result.append(KernelOperation(.insertRule(try rule(typed)), label: label))
            case (.replace, .rule(let typed)):
                result.append(KernelOperation(.replaceRule(try rule(typed)), label: label))
            case (.delete, .rule(let typed)):
                result.append(KernelOperation(.deleteRule(try rule(typed)), label: label))
            case (.add, .set(let typed)), (.create, .set(let typed)):
                result.append(KernelOperation(.addSet(try set(typed)), label: label))
            case (.delete, .set(let typed)):
                result.append(KernelOperation(.deleteSet(try set(typed)), label: label))
            case (.flush, .set(let typed)):
                result.append(KernelOperation(.flushSet(try set(typed)), label: label))
            case (.add, .elements(let batch)), (.create, .elements(let batch)), (.delete, .elements(let batch)):
                guard let definition = transaction.setDefinition(batch.table, batch.set) else {
                    throw LoweringError(object: "\(batch.table) \(batch.set)", reason: "elements for a set that is not defined")
                }
                let kernelSet = try set(definition)
                // A delete names elements by key alone; the data is not needed.
                var keyed = batch.elements
                if operation.verb == .delete { keyed = keyed.map { Element($0.key) } }
                var definitionForKeys = definition
                if operation.verb == .delete, definition.data != nil { definitionForKeys.data = nil }
                let elements = try Self.elements(keyed, of: definitionForKeys)
                // Ranges of single-field interval sets become two kernel elements each. Labels are
                // only formatted if the kernel refuses an element.
                let typed = batch.elements
                let labels = elements.count == typed.count
                    ? ElementLabels(count: typed.count) { typed[$0].comment ?? typed[$0].description }
                    : ElementLabels(count: elements.count) { index in
                        let element = typed[min(index / 2, typed.count - 1)]
                        return index % 2 == 0 ? element.description : "end of \(element)"
                    }
                let kind: KernelOperation.Kind = operation.verb == .delete
                    ? .deleteElements(kernelSet, elements, labels: labels)
                    : .addElements(kernelSet, elements, labels: labels)
                let what = operation.verb == .delete ? "delete element from" : "add element to"
                result.append(KernelOperation(kind, label: "\(what) \(definition.kind) \(definition.name)"))
            default:
                throw LoweringError(object: operation.object.identity, reason: "'\(operation.verb.rawValue)' is not supported for it")
            }
        }
        return result
    }

    // MARK: - Statements

    static func verdict(_ verdict: Verdict) -> KernelVerdict {
        switch verdict {
        case .accept: .accept
        case .drop: .drop
        case .continue: .continue
        case .return: .return
        case .jump(let chain): .jump(chain)
        case .goto(let chain): .goto(chain)
        }
    }

    static func lower(_ statement: Statement, family: KernelFamily, in object: String) throws(LoweringError) -> [KernelExpression] {
        switch statement {
        case .match(let left, let relation, let right):
            return try match(left, relation, right, in: object)
        case .lookup(let key, let set, let negated):
            return try load(key, in: object).expressions + [.lookup(set: set, source: .one, into: nil, inverted: negated)]
        case .verdictMap(let key, let map):
            return try load(key, in: object).expressions + [.lookup(set: map, source: .one, into: .verdict, inverted: false)]
        case .counter:
            return [.counter]
        case .verdict(let verdict):
            return [.verdict(Self.verdict(verdict))]
        case .setMark(let expression):
            guard case .bitwise(.meta(.mark), let op, let bits) = expression else {
                let loaded = try load(expression, in: object)
                return loaded.expressions + [.metaSet(key: 3, from: .one)]
            }
            let value = littleEndian(bits)
            let (mask, xor): ([UInt8], [UInt8]) = switch op {
            case .or: (littleEndian(~bits), value)
            case .xor: (littleEndian(0xffff_ffff), value)
            case .and: (value, littleEndian(0))
            }
            return [.meta(key: 3, into: .one), .bitwise(source: .one, into: .one, mask: mask, xor: xor), .metaSet(key: 3, from: .one)]
        case .dnat(let target, _):
            switch target {
            case .map(let key, let map):
                let loaded = try load(key, in: object)
                let portRegister = family == .ip6 ? KernelRegister.word(4) : KernelRegister.word(1)
                return loaded.expressions + [
                    .lookup(set: map, source: .one, into: .one, inverted: false),
                    .dnat(family: family, address: .one, port: portRegister),
                ]
            case .address(let address, let port):
                var expressions: [KernelExpression] = [.immediate(into: .one, data: address.bytes)]
                var portRegister: KernelRegister?
                if let port {
                    portRegister = .word(address.family == .ip6 ? 4 : 1)
                    expressions.append(.immediate(into: portRegister ?? .word(1), data: [UInt8(port >> 8), UInt8(port & 0xff)]))
                }
                return expressions + [.dnat(family: family, address: .one, port: portRegister)]
            }
        case .masquerade(let fullyRandom):
            return [.masquerade(fullyRandom: fullyRandom)]
        case .reject(.portUnreachable):
            return [.reject(tcpReset: false, family: family)]
        case .reject(.tcpReset):
            // nft's implicit dependency: a TCP reset is only possible for TCP packets.
            return [.meta(key: 16, into: .one), .cmp(.eq, .one, [6]), .reject(tcpReset: true, family: family)]
        case .setUpdate(let operation, let set, let key, let timeout, let data):
            guard operation == .update, data == nil else {
                throw LoweringError(object: object, reason: "only 'update @set { key }' is encoded")
            }
            return try load(key, in: object).expressions + [
                .dynsetUpdate(set: set, key: .one, timeoutMilliseconds: timeout.map { UInt64($0) * 1000 }),
            ]
        }
    }

    // MARK: - Matches

    private static func match(_ left: Expression, _ relation: Relation, _ right: Expression, in object: String) throws(LoweringError) -> [KernelExpression] {
        let comparison: KernelComparison = relation == .equal ? .eq : .neq
        // A prefix on a byte boundary compares only the prefix's bytes, as nft does.
        if case .payload(let field) = left, case .value(.prefix(let prefix)) = right {
            let (base, offset, _) = try payloadLocation(field, in: object)
            if prefix.length % 8 == 0 {
                let bytes = prefix.length / 8
                return [.payload(base: base, offset: offset, length: UInt32(bytes), into: .one),
                        .cmp(comparison, .one, Array(prefix.address.bytes.prefix(bytes)))]
            }
            let full = prefix.address.bytes.count
            let mask = (0..<full).map { index -> UInt8 in
                let bits = max(0, min(8, prefix.length - index * 8))
                return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            }
            return [.payload(base: base, offset: offset, length: UInt32(full), into: .one),
                    .bitwise(source: .one, into: .one, mask: mask, xor: Array(repeating: 0, count: full)),
                    .cmp(comparison, .one, prefix.address.bytes)]
        }
        // Flags (`ct state new,established`, `ct status dnat`): any of the bits.
        if case .ct(let key) = left {
            let flags: (key: UInt32, bits: UInt32)? = switch (key, right) {
            case (.state, .value(.ctState(let states))): (0, states.reduce(UInt32(0)) { $0 | ctStateBit($1) })
            case (.status, .value(.ctStatus(let statuses))): (2, statuses.reduce(UInt32(0)) { $0 | ctStatusBit($1) })
            default: nil
            }
            if let flags {
                return [.ct(key: flags.key, into: .one),
                        .bitwise(source: .one, into: .one, mask: littleEndian(flags.bits), xor: littleEndian(0)),
                        .cmp(relation == .equal ? .neq : .eq, .one, littleEndian(0))]
            }
        }
        guard case .value(let value) = right else {
            throw LoweringError(object: object, reason: "matching against \(right) is not encoded (only constants and prefixes)")
        }
        let loaded = try load(left, in: object)
        let data = try constant(value, width: loaded.width, in: object)
        return loaded.expressions + [.cmp(comparison, .one, data)]
    }

    private static func ctStateBit(_ state: CtState) -> UInt32 {
        switch state {
        case .invalid: 1
        case .established: 2
        case .related: 4
        case .new: 8
        case .untracked: 64
        }
    }

    private static func ctStatusBit(_ status: CtStatus) -> UInt32 {
        switch status {
        case .expected: 0x1
        case .seenReply: 0x2
        case .assured: 0x4
        case .confirmed: 0x8
        case .snat: 0x10
        case .dnat: 0x20
        case .dying: 0x200
        }
    }

    private static func constant(_ value: Value, width: Int, in object: String) throws(LoweringError) -> [UInt8] {
        switch value {
        case .address(let address): return address.bytes
        case .proto(let proto): return [proto.rawValue]
        case .port(let port): return [UInt8(port >> 8), UInt8(port & 0xff)]
        case .integer(let number), .mark(let number): return Array(littleEndian(number).prefix(width))
        case .addressType(let type):
            let code: UInt32 = switch type {
            case .unicast: 1
            case .local: 2
            case .broadcast: 3
            case .multicast: 5
            }
            return littleEndian(code)
        case .family(let family): return [family == .ip6 ? 10 : 2]
        default:
            throw LoweringError(object: object, reason: "constant \(value) is not encoded")
        }
    }

    // MARK: - Loads

    /// Loads an expression (a concatenation fills consecutive 4-byte registers from register 1).
    /// Returns the loading expressions and the width in bytes of a single (non-concatenated) value.
    private static func load(_ expression: Expression, in object: String) throws(LoweringError) -> (expressions: [KernelExpression], width: Int) {
        var expressions: [KernelExpression] = []
        var dependencies: [KernelExpression] = []
        var word = 0
        var width = 0
        for field in expression.fields {
            let register: KernelRegister = word == 0 ? .one : .word(word)
            let (loaded, fieldWidth, dependency) = try loadField(field, into: register, in: object)
            expressions += loaded
            dependencies += dependency
            width = fieldWidth
            word += (fieldWidth + 3) / 4
        }
        return (dependencies + expressions, width)
    }

    private static func loadField(_ field: Expression, into register: KernelRegister, in object: String) throws(LoweringError) -> ([KernelExpression], Int, [KernelExpression]) {
        switch field {
        case .payload(let payload):
            let (base, offset, length) = try payloadLocation(payload, in: object)
            var dependency: [KernelExpression] = []
            switch payload {
            case .tcpSport, .tcpDport: dependency = [.meta(key: 16, into: .one), .cmp(.eq, .one, [6])]
            case .udpSport, .udpDport: dependency = [.meta(key: 16, into: .one), .cmp(.eq, .one, [17])]
            default: break
            }
            return ([.payload(base: base, offset: offset, length: length, into: register)], Int(length), dependency)
        case .meta(let key):
            let (number, width): (UInt32, Int) = switch key {
            case .l4proto: (16, 1)
            case .mark: (3, 4)
            case .nfproto: (15, 1)
            case .iifname: (6, 16)
            case .oifname: (7, 16)
            }
            return ([.meta(key: number, into: register)], width, [])
        case .ct(.state):
            return ([.ct(key: 0, into: register)], 4, [])
        case .ct(.status):
            return ([.ct(key: 2, into: register)], 4, [])
        case .fib(let key):
            return ([.fib(flags: key == .destinationType ? 2 : 1, result: 3, into: register)], 4, [])
        case .socket(.transparent):
            return ([.socket(key: 0, into: register)], 1, []) // NFT_SOCKET_TRANSPARENT, one byte
        case .numgen(let mode, let modulus, let offset):
            guard offset == 0 else { throw LoweringError(object: object, reason: "numgen offset is not encoded") }
            return ([.numgen(into: register, modulus: modulus, incremental: mode == .inc)], 4, [])
        case .jhash(let input, let modulus, let seed, let offset):
            guard offset == 0 else { throw LoweringError(object: object, reason: "jhash offset is not encoded") }
            // The hashed input goes to scratch registers past any key (register 3 on: words 8-13).
            var inputLoads: [KernelExpression] = []
            var length = 0
            var scratchWord = 8
            for part in input.fields {
                let (loaded, partWidth, _) = try loadField(part, into: .word(scratchWord), in: object)
                inputLoads += loaded
                length += (partWidth + 3) & ~3
                scratchWord += (partWidth + 3) / 4
            }
            let source = KernelRegister.word(8)
            let single = input.fields.count == 1
            if single, case .payload(let payload) = input {
                length = Int(try payloadLocation(payload, in: object).2)
            }
            return (inputLoads + [.jhash(source: source, length: UInt32(length), modulus: modulus, seed: seed, into: register)], 4, [])
        case .bitwise(let input, let op, let operand):
            let (loaded, fieldWidth, dependency) = try loadField(input, into: register, in: object)
            let (mask, xor): ([UInt8], [UInt8]) = switch op {
            case .and: (littleEndian(operand), littleEndian(0))
            case .or: (littleEndian(~operand), littleEndian(operand))
            case .xor: (littleEndian(0xffff_ffff), littleEndian(operand))
            }
            return (loaded + [.bitwise(source: register, into: register, mask: mask, xor: xor)], fieldWidth, dependency)
        default:
            throw LoweringError(object: object, reason: "loading \(field) is not encoded")
        }
    }

    private static func payloadLocation(_ field: PayloadField, in object: String) throws(LoweringError) -> (KernelPayloadBase, UInt32, UInt32) {
        switch field {
        case .ipSaddr: (.network, 12, 4)
        case .ipDaddr: (.network, 16, 4)
        case .ip6Saddr: (.network, 8, 16)
        case .ip6Daddr: (.network, 24, 16)
        case .thSport, .tcpSport, .udpSport: (.transport, 0, 2)
        case .thDport, .tcpDport, .udpDport: (.transport, 2, 2)
        }
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
