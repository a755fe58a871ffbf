/// Choices a trace makes at `numgen` and `jhash`: seeded (statistics), or forced (exhaustive exploration).
struct Chooser {
    enum Mode { case seeded, forced([UInt32]) }
    var mode: Mode
    var random: UInt64
    /// Branch counts and choices made, in order (forced mode).
    var counts: [UInt32] = []
    var taken: [UInt32] = []

    var isForced: Bool { if case .forced = mode { true } else { false } }

    mutating func choose(_ modulus: UInt32, kind: NumgenMode?, hashInput: [Value], seed: UInt32,
                         rule: FakeNetfilter.RuleID, counters: inout [FakeNetfilter.RuleID: UInt32]) -> UInt32 {
        guard modulus > 0 else { return 0 }
        switch mode {
        case .forced(let forced):
            let index = taken.count
            let choice = index < forced.count ? min(forced[index], modulus - 1) : 0
            counts.append(modulus)
            taken.append(choice)
            return choice
        case .seeded:
            switch kind {
            case .random?:
                random &+= 0x9E37_79B9_7F4A_7C15
                var z = random
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return UInt32(truncatingIfNeeded: (z ^ (z >> 31)) % UInt64(modulus))
            case .inc?:
                let value = counters[rule, default: 0]
                counters[rule] = value &+ 1
                return value % modulus
            case nil:
                // A stand-in for the kernel's jhash: FNV-1a over the input's text and the seed. Same input, same slot.
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(seed)
                for byte in hashInput.map(\.description).joined(separator: ".").utf8 {
                    hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
                }
                return UInt32(truncatingIfNeeded: hash % UInt64(modulus))
            }
        }
    }
}

/// The mutable view of a packet while it walks the hooks.
struct PacketState {
    var packet: Packet
    var originalDestination: Address
    var mark: UInt32
    var dnat = false
    var masqueraded = false
}

enum StatementResult {
    case next, breakRule, verdict(Verdict), reject(RejectKind), nat
}

enum ChainResult {
    case accept, drop, reject(RejectKind), nat
}

extension FakeNetfilter {
    /// Traces one packet with seeded choices (`numgen random` from the fake's seed, `numgen inc` from
    /// per-rule counters, `jhash` from a stable hash). Dynamic-set updates (affinity) and counters persist.
    public mutating func trace(_ packet: Packet, in environment: TraceEnvironment) -> Trace {
        var chooser = Chooser(mode: .seeded, random: randomState)
        var walker = Walker(ruleset: ruleset, environment: environment, counters: counters)
        let trace = walker.run(packet, chooser: &chooser)
        randomState = chooser.random
        ruleset = walker.ruleset
        counters = walker.counters
        return trace
    }

    /// Every outcome the packet can have, exploring every `numgen`/`jhash` value (state is not changed).
    /// `limit` bounds the number of explored paths.
    public func outcomes(of packet: Packet, in environment: TraceEnvironment, limit: Int = 200_000) -> Swift.Set<TraceOutcome> {
        Swift.Set(traces(of: packet, in: environment, limit: limit).map(\.outcome))
    }

    /// Every distinct path the packet can take, one trace per combination of `numgen`/`jhash` values.
    public func traces(of packet: Packet, in environment: TraceEnvironment, limit: Int = 200_000) -> [Trace] {
        var result: [Trace] = []
        var prefix: [UInt32] = []
        for _ in 0..<limit {
            var chooser = Chooser(mode: .forced(prefix), random: 0)
            var walker = Walker(ruleset: ruleset, environment: environment, counters: counters)
            result.append(walker.run(packet, chooser: &chooser))
            guard let position = chooser.taken.indices.last(where: { chooser.taken[$0] + 1 < chooser.counts[$0] }) else { break }
            prefix = Array(chooser.taken[..<position]) + [chooser.taken[position] + 1]
        }
        return result
    }
}

/// Walks the hooks for one packet over a copy of the state.
struct Walker {
    var ruleset: Ruleset
    let environment: TraceEnvironment
    var counters: [FakeNetfilter.RuleID: UInt32]
    var steps: [TraceStep] = []

    init(ruleset: Ruleset, environment: TraceEnvironment, counters: [FakeNetfilter.RuleID: UInt32]) {
        self.ruleset = ruleset
        self.environment = environment
        self.counters = counters
    }

    mutating func run(_ packet: Packet, chooser: inout Chooser) -> Trace {
        var state = PacketState(packet: packet, originalDestination: packet.destination, mark: packet.mark)
        let first: [Hook] = packet.origin == .localProcess ? [.output, .postrouting] : [.prerouting]
        for hook in first {
            if let outcome = runHook(hook, &state, &chooser) { return Trace(outcome: outcome, steps: steps) }
        }
        let local = environment.isLocal(state.packet.destination) || state.mark & environment.localDeliveryMark != 0
        let rest: [Hook] = packet.origin == .localProcess ? (local ? [.input] : []) : (local ? [.input] : [.forward, .postrouting])
        for hook in rest {
            if let outcome = runHook(hook, &state, &chooser) { return Trace(outcome: outcome, steps: steps) }
        }
        let delivery = Delivery(address: state.packet.destination, port: state.packet.destinationPort,
                                masqueraded: state.masqueraded, local: local)
        return Trace(outcome: .accepted(delivery), steps: steps)
    }

    /// Runs the base chains of `hook` in priority order; returns an outcome if the packet stops here.
    mutating func runHook(_ hook: Hook, _ state: inout PacketState, _ chooser: inout Chooser) -> TraceOutcome? {
        let family = state.packet.family
        var chains: [(TableRef, Chain)] = []
        for (ref, table) in ruleset.tables where ref.family == family || ref.family == .inet {
            for chain in table.chains.values where chain.definition.base?.hook == hook { chains.append((ref, chain.definition)) }
        }
        chains.sort { a, b in
            let (pa, pb) = (a.1.base?.priority.value ?? 0, b.1.base?.priority.value ?? 0)
            return pa != pb ? pa < pb : (a.0, a.1.name) < (b.0, b.1.name)
        }
        var natDone = false
        for (table, chain) in chains {
            guard let base = chain.base else { continue }
            if base.type == .nat && natDone { continue }
            switch runChain(table, chain.name, policy: base.policy, &state, &chooser) {
            case .accept: continue
            case .nat: natDone = true
            case .drop: return .dropped
            case .reject(let kind): return .rejected(kind)
            }
        }
        return nil
    }

    mutating func runChain(_ table: TableRef, _ name: String, policy: Verdict, _ state: inout PacketState, _ chooser: inout Chooser) -> ChainResult {
        var stack: [(String, Int)] = []
        var current = name
        var index = 0
        var steps = 0
        while steps < 100_000 {
            steps += 1
            guard let chain = ruleset.tables[table]?.chains[current], index < chain.rules.count else {
                if let (caller, resume) = stack.popLast() { current = caller; index = resume; continue }
                return policy == .drop ? .drop : .accept
            }
            let rule = chain.rules[index]
            let ruleID = FakeNetfilter.RuleID(table: table, chain: current, handle: rule.handle ?? index)
            index += 1
            var verdict: Verdict?
            var matched = true
            ruleLoop: for statement in rule.statements {
                switch evaluate(statement, table: table, rule: ruleID, &state, &chooser) {
                case .next: continue
                case .breakRule: matched = false; break ruleLoop
                case .verdict(let v): verdict = v; break ruleLoop
                case .reject(let kind): record(table, current, index - 1, rule); return .reject(kind)
                case .nat: record(table, current, index - 1, rule); return .nat
                }
            }
            guard matched else { continue }
            record(table, current, index - 1, rule)
            switch verdict {
            case nil, .continue?: continue
            case .accept?: return .accept
            case .drop?: return .drop
            case .return?:
                if let (caller, resume) = stack.popLast() { current = caller; index = resume; continue }
                return policy == .drop ? .drop : .accept
            case .jump(let target)?:
                stack.append((current, index)); current = target; index = 0
            case .goto(let target)?:
                current = target; index = 0
            }
        }
        return .drop
    }

    mutating func record(_ table: TableRef, _ chain: String, _ index: Int, _ rule: Rule) {
        steps.append(TraceStep(table: table, chain: chain, index: index, rule: rule))
    }

    // MARK: Statements

    mutating func evaluate(_ statement: Statement, table: TableRef, rule: FakeNetfilter.RuleID,
                           _ state: inout PacketState, _ chooser: inout Chooser) -> StatementResult {
        switch statement {
        case .match(.numgen(let mode, let modulus, let offset), let relation, .value(let pattern)) where chooser.isForced:
            // Exploring: only "equal" and "not equal" matter, not every value (keeps cascades linear).
            guard let target = Self.number(pattern), target >= offset, target - offset < modulus else {
                return relation == .notEqual ? .next : .breakRule
            }
            let equal = modulus == 1
                || chooser.choose(2, kind: mode, hashInput: [], seed: 0, rule: rule, counters: &counters) == 0
            return equal == (relation == .equal) ? .next : .breakRule
        case .match(let left, let relation, let right):
            guard let actual = value(left, rule, &state, &chooser), actual.count == 1 else { return .breakRule }
            let hit: Bool
            switch right {
            case .anonymousSet(let values): hit = values.contains { Self.matches(actual[0], $0) }
            case .value(let pattern): hit = Self.matches(actual[0], pattern)
            default:
                guard let other = value(right, rule, &state, &chooser), other.count == 1 else { return .breakRule }
                hit = Self.matches(actual[0], other[0])
            }
            return hit == (relation == .equal) ? .next : .breakRule
        case .lookup(let key, let set, let negated):
            guard let actual = value(key, rule, &state, &chooser) else { return .breakRule }
            let found = lookup(table, set, actual) != nil
            return found != negated ? .next : .breakRule
        case .verdictMap(let key, let map):
            guard let actual = value(key, rule, &state, &chooser),
                  case .verdict(let verdict)? = lookup(table, map, actual)?.data else { return .breakRule }
            return .verdict(verdict)
        case .counter:
            return .next
        case .verdict(let verdict):
            return .verdict(verdict)
        case .setMark(let expression):
            guard let result = value(expression, rule, &state, &chooser), result.count == 1, let mark = Self.number(result[0]) else { return .breakRule }
            state.mark = mark
            return .next
        case .dnat(let target, _):
            switch target {
            case .address(let address, let port):
                state.packet.destination = address
                if let port { state.packet.destinationPort = port }
            case .map(let key, let map):
                guard let actual = value(key, rule, &state, &chooser),
                      case .values(let data)? = lookup(table, map, actual)?.data,
                      case .address(let address)? = data.first else { return .breakRule }
                state.packet.destination = address
                if data.count > 1, let port = Self.number(data[1]) { state.packet.destinationPort = UInt16(truncatingIfNeeded: port) }
            }
            state.dnat = true
            return .nat
        case .masquerade:
            state.masqueraded = true
            return .nat
        case .reject(let kind):
            if kind == .tcpReset, state.packet.proto != .tcp { return .breakRule }
            return .reject(kind)
        case .setUpdate(let operation, let set, let key, let timeout, let data):
            guard let actual = value(key, rule, &state, &chooser) else { return .breakRule }
            var payload: [Value]?
            if let data {
                guard let resolved = value(data, rule, &state, &chooser) else { return .breakRule }
                payload = resolved
            }
            guard var contents = ruleset.tables[table]?.sets[set] else { return .breakRule }
            let key = FieldTuple(actual)
            let present = lookupExact(contents, key)
            switch operation {
            case .delete:
                contents.elements[key] = nil
                contents.expiry[key] = nil
            case .add where present:
                break
            case .add, .update:
                let element = Element(key, payload.map { .values(FieldTuple($0)) })
                if !present || operation == .update {
                    if present, contents.elements[key]?.data != nil, operation == .update {
                        // update refreshes the timeout only; the data stays
                    } else {
                        contents.elements[key] = element
                    }
                    if let seconds = timeout ?? contents.definition.timeout {
                        contents.expiry[key] = environment.now + Double(seconds)
                    }
                }
            }
            ruleset.tables[table]?.sets[set] = contents
            return .next
        }
    }

    // MARK: Expressions

    mutating func value(_ expression: Expression, _ rule: FakeNetfilter.RuleID, _ state: inout PacketState, _ chooser: inout Chooser) -> [Value]? {
        let packet = state.packet
        let transport = packet.proto == .tcp || packet.proto == .udp || packet.proto == .sctp
        switch expression {
        case .payload(let field):
            switch field {
            case .ipSaddr: return packet.family == .ip ? [.address(packet.source)] : nil
            case .ipDaddr: return packet.family == .ip ? [.address(packet.destination)] : nil
            case .ip6Saddr: return packet.family == .ip6 ? [.address(packet.source)] : nil
            case .ip6Daddr: return packet.family == .ip6 ? [.address(packet.destination)] : nil
            case .thSport: return transport ? [.port(packet.sourcePort)] : nil
            case .thDport: return transport ? [.port(packet.destinationPort)] : nil
            case .tcpSport: return packet.proto == .tcp ? [.port(packet.sourcePort)] : nil
            case .tcpDport: return packet.proto == .tcp ? [.port(packet.destinationPort)] : nil
            case .udpSport: return packet.proto == .udp ? [.port(packet.sourcePort)] : nil
            case .udpDport: return packet.proto == .udp ? [.port(packet.destinationPort)] : nil
            }
        case .meta(let key):
            switch key {
            case .l4proto: return [.proto(packet.proto)]
            case .mark: return [.mark(state.mark)]
            case .nfproto: return [.family(packet.family)]
            case .iifname:
                if case .remote(let name) = packet.origin { return [.string(name)] }
                return nil
            case .oifname: return nil
            }
        case .ct(let key):
            switch key {
            case .state: return [.ctState([.new])]
            case .status: return [.ctStatus(state.dnat ? [.dnat] : [])]
            case .originalSource(let family): return family == packet.family ? [.address(packet.source)] : nil
            case .originalDestination(let family): return family == packet.family ? [.address(state.originalDestination)] : nil
            }
        case .fib(let key):
            let address = key == .sourceType ? packet.source : packet.destination
            return [.addressType(environment.isLocal(address) ? .local : .unicast)]
        case .socket(.transparent):
            let socket = BoundSocket(state.packet.destination, port: state.packet.destinationPort, proto: state.packet.proto)
            return [.integer(environment.transparentSockets.contains(socket) ? 1 : 0)]
        case .numgen(let mode, let modulus, let offset):
            let choice = chooser.choose(modulus, kind: mode, hashInput: [], seed: 0, rule: rule, counters: &counters)
            return [.integer(offset &+ choice)]
        case .jhash(let input, let modulus, let seed, let offset):
            guard let values = value(input, rule, &state, &chooser) else { return nil }
            let choice = chooser.choose(modulus, kind: nil, hashInput: values, seed: seed, rule: rule, counters: &counters)
            return [.integer(offset &+ choice)]
        case .concat(let parts):
            var out: [Value] = []
            for part in parts {
                guard let values = value(part, rule, &state, &chooser) else { return nil }
                out += values
            }
            return out
        case .value(let constant):
            return [constant]
        case .anonymousSet:
            return nil
        case .bitwise(let input, let op, let operand):
            guard let values = value(input, rule, &state, &chooser), values.count == 1, let number = Self.number(values[0]) else { return nil }
            let result: UInt32
            switch op {
            case .and: result = number & operand
            case .or: result = number | operand
            case .xor: result = number ^ operand
            }
            return [.mark(result)]
        }
    }

    // MARK: Sets

    func lookup(_ table: TableRef, _ name: String, _ values: [Value]) -> Element? {
        guard let set = ruleset.tables[table]?.sets[name] else { return nil }
        let key = FieldTuple(values)
        if let element = set.elements[key], live(set, key) { return element }
        // Only interval sets (prefixes) need matching beyond the exact key.
        guard set.definition.flags.contains(.interval) else { return nil }
        for element in set.elements.values where element.key.count == key.count && live(set, element.key) {
            if zip(key, element.key).allSatisfy({ Self.matches($0, $1) }) { return element }
        }
        return nil
    }

    func lookupExact(_ set: Ruleset.SetState, _ key: FieldTuple) -> Bool {
        set.elements[key] != nil && live(set, key)
    }

    func live(_ set: Ruleset.SetState, _ key: FieldTuple) -> Bool {
        guard let expiry = set.expiry[key] else { return true }
        return environment.now < expiry
    }

    static func number(_ value: Value) -> UInt32? {
        switch value {
        case .port(let port): UInt32(port)
        case .integer(let number), .mark(let number): number
        case .proto(let proto): UInt32(proto.rawValue)
        default: nil
        }
    }

    /// Whether a packet value matches a pattern (prefix containment, flag intersection, numeric equality).
    static func matches(_ actual: Value, _ pattern: Value) -> Bool {
        switch (actual, pattern) {
        case (.address(let address), .prefix(let prefix)): return prefix.contains(address)
        case (.ctState(let have), .ctState(let want)): return !Swift.Set(have).isDisjoint(with: want)
        case (.ctStatus(let have), .ctStatus(let want)): return !Swift.Set(have).isDisjoint(with: want)
        default:
            if let a = number(actual), let b = number(pattern), !(actual.isProto != pattern.isProto) { return a == b }
            return actual == pattern
        }
    }
}

extension Value {
    var isProto: Bool { if case .proto = self { true } else { false } }
}
