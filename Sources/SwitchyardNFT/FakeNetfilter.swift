/// A kernel-like failure of one operation in a transaction; nothing of the transaction was applied.
public struct NetfilterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The errno the kernel would return.
    public enum Code: String, Sendable, Hashable {
        case exists = "EEXIST"
        case notFound = "ENOENT"
        case busy = "EBUSY"
        case invalid = "EINVAL"
        case notSupported = "EOPNOTSUPP"
    }

    public var code: Code
    /// Index of the failing operation in the transaction.
    public var operationIndex: Int
    /// The failing operation's `nft -f` line.
    public var operation: String
    public var reason: String

    public var description: String { "\(code.rawValue) at operation \(operationIndex) (\(operation)): \(reason)" }
}

/// A transactional in-memory nf_tables: applies a `Transaction` all or nothing with the kernel's
/// errors, dumps its state canonically, and traces packets through it (see `FakeNetfilter+Trace`).
public struct FakeNetfilter: Sendable {
    /// The committed state.
    public internal(set) var ruleset = Ruleset()
    /// Seed of the deterministic random source used by `trace` for `numgen random`.
    var randomState: UInt64
    /// `numgen inc` counters, per rule.
    var counters: [RuleID: UInt32] = [:]

    struct RuleID: Hashable, Sendable { var table: TableRef; var chain: String; var handle: Int }

    /// An empty fake; `seed` fixes the random choices `trace` makes.
    public init(seed: UInt64 = 0x5157_4954_4348) { randomState = seed }

    /// Applies `transaction` atomically: on error nothing changes and the error names the operation.
    public mutating func apply(_ transaction: Transaction) throws(NetfilterError) {
        var working = ruleset
        for (index, operation) in transaction.operations.enumerated() {
            do {
                try Self.apply(operation, to: &working)
            } catch let failure as Failure {
                throw NetfilterError(code: failure.code, operationIndex: index, operation: operation.description, reason: failure.reason)
            } catch {
                throw NetfilterError(code: .invalid, operationIndex: index, operation: operation.description, reason: "\(error)")
            }
        }
        ruleset = working
    }

    /// The canonical dump of the current state (`nft list ruleset` layout, deterministic order).
    public func dump() -> String { ruleset.listing() }

    struct Failure: Error { var code: NetfilterError.Code; var reason: String }

    // MARK: Operations

    static func apply(_ operation: Operation, to state: inout Ruleset) throws {
        let verb = operation.verb
        switch operation.object {
        case .table(let table):
            let exists = state.tables[table.ref] != nil
            switch verb {
            case .add, .create:
                if exists {
                    if verb == .create { throw Failure(code: .exists, reason: "table \(table.ref) exists") }
                } else {
                    state.tables[table.ref] = Ruleset.TableState(table: table)
                }
            case .delete:
                guard exists else { throw Failure(code: .notFound, reason: "no table \(table.ref)") }
                state.tables[table.ref] = nil
            case .flush:
                guard var contents = state.tables[table.ref] else { throw Failure(code: .notFound, reason: "no table \(table.ref)") }
                for name in contents.chains.keys { contents.chains[name]?.rules.removeAll() }
                state.tables[table.ref] = contents
            default:
                throw Failure(code: .notSupported, reason: "\(verb.rawValue) table")
            }
        case .chain(let chain):
            guard var table = state.tables[chain.table] else { throw Failure(code: .notFound, reason: "no table \(chain.table)") }
            let existing = table.chains[chain.name]
            switch verb {
            case .add, .create:
                if let existing {
                    if verb == .create { throw Failure(code: .exists, reason: "chain \(chain.name) exists") }
                    if existing.definition.base?.type != chain.base?.type || existing.definition.base?.hook != chain.base?.hook
                        || existing.definition.base?.priority != chain.base?.priority {
                        if chain.base != nil { throw Failure(code: .busy, reason: "chain \(chain.name) exists with another hook, type or priority") }
                    } else if let base = chain.base {
                        table.chains[chain.name]?.definition.base = base
                    }
                } else {
                    table.chains[chain.name] = Ruleset.ChainState(definition: chain)
                }
            case .delete:
                guard existing != nil else { throw Failure(code: .notFound, reason: "no chain \(chain.name)") }
                if let user = Self.referrer(of: chain.name, in: table) {
                    throw Failure(code: .busy, reason: "chain \(chain.name) is referenced by \(user)")
                }
                table.chains[chain.name] = nil
            case .flush:
                guard existing != nil else { throw Failure(code: .notFound, reason: "no chain \(chain.name)") }
                table.chains[chain.name]?.rules.removeAll()
            default:
                throw Failure(code: .notSupported, reason: "\(verb.rawValue) chain")
            }
            state.tables[chain.table] = table
        case .rule(let rule):
            guard var table = state.tables[rule.table] else { throw Failure(code: .notFound, reason: "no table \(rule.table)") }
            guard var chain = table.chains[rule.chain] else { throw Failure(code: .notFound, reason: "no chain \(rule.chain)") }
            if verb != .delete { try Self.checkReferences(of: rule, in: table) }
            let position = rule.handle.flatMap { handle in chain.rules.firstIndex { $0.handle == handle } }
            switch verb {
            case .add:
                var added = rule
                added.handle = table.nextHandle
                table.nextHandle += 1
                if let handle = rule.handle {
                    guard let position else { throw Failure(code: .notFound, reason: "no rule with handle \(handle)") }
                    chain.rules.insert(added, at: position + 1)
                } else {
                    chain.rules.append(added)
                }
            case .insert:
                var added = rule
                added.handle = table.nextHandle
                table.nextHandle += 1
                if let handle = rule.handle {
                    guard let position else { throw Failure(code: .notFound, reason: "no rule with handle \(handle)") }
                    chain.rules.insert(added, at: position)
                } else {
                    chain.rules.insert(added, at: 0)
                }
            case .replace:
                guard let position else { throw Failure(code: .notFound, reason: "no rule with handle \(rule.handle ?? 0)") }
                chain.rules[position] = rule
            case .delete:
                guard let position else { throw Failure(code: .notFound, reason: "no rule with handle \(rule.handle ?? 0)") }
                chain.rules.remove(at: position)
            default:
                throw Failure(code: .notSupported, reason: "\(verb.rawValue) rule")
            }
            table.chains[rule.chain] = chain
            state.tables[rule.table] = table
        case .set(let set):
            guard var table = state.tables[set.table] else { throw Failure(code: .notFound, reason: "no table \(set.table)") }
            let existing = table.sets[set.name]
            switch verb {
            case .add, .create:
                if let existing {
                    if verb == .create { throw Failure(code: .exists, reason: "\(set.kind) \(set.name) exists") }
                    if existing.definition.key != set.key || existing.definition.data != set.data || existing.definition.flags != set.flags {
                        throw Failure(code: .exists, reason: "\(set.kind) \(set.name) exists with another type or flags")
                    }
                } else {
                    table.sets[set.name] = Ruleset.SetState(definition: set)
                }
            case .delete:
                guard existing != nil else { throw Failure(code: .notFound, reason: "no set \(set.name)") }
                for chain in table.chains.values {
                    for rule in chain.rules where rule.statements.contains(where: { $0.setReferences.contains(set.name) }) {
                        throw Failure(code: .busy, reason: "\(set.kind) \(set.name) is used by a rule in chain \(chain.definition.name)")
                    }
                }
                table.sets[set.name] = nil
            case .flush:
                guard existing != nil else { throw Failure(code: .notFound, reason: "no set \(set.name)") }
                table.sets[set.name]?.elements.removeAll()
                table.sets[set.name]?.expiry.removeAll()
            default:
                throw Failure(code: .notSupported, reason: "\(verb.rawValue) set")
            }
            state.tables[set.table] = table
        case .elements(let batch):
            guard var table = state.tables[batch.table] else { throw Failure(code: .notFound, reason: "no table \(batch.table)") }
            guard var set = table.sets[batch.set] else { throw Failure(code: .notFound, reason: "no set \(batch.set)") }
            for element in batch.elements {
                guard element.key.count == set.definition.key.arity else {
                    throw Failure(code: .invalid, reason: "element \(element) does not match the key of \(batch.set)")
                }
                switch verb {
                case .add, .create:
                    switch (set.definition.data, element.data) {
                    case (nil, nil), (.verdict, .verdict?), (.data, .values?): break
                    default: throw Failure(code: .invalid, reason: "element \(element) does not match the data of \(batch.set)")
                    }
                    if case .verdict(let verdict)? = element.data, let target = verdict.target, table.chains[target] == nil {
                        throw Failure(code: .notFound, reason: "element \(element) jumps to missing chain \(target)")
                    }
                    if let present = set.elements[element.key] {
                        if verb == .create { throw Failure(code: .exists, reason: "element \(element.key.map(\.description).joined(separator: " . ")) exists") }
                        if present.data != element.data { throw Failure(code: .busy, reason: "element \(element.key.map(\.description).joined(separator: " . ")) exists with other data") }
                    } else {
                        set.elements[element.key] = element
                    }
                case .delete:
                    guard set.elements.removeValue(forKey: element.key) != nil else {
                        throw Failure(code: .notFound, reason: "no element \(element.key.map(\.description).joined(separator: " . ")) in \(batch.set)")
                    }
                    set.expiry[element.key] = nil
                default:
                    throw Failure(code: .notSupported, reason: "\(verb.rawValue) element")
                }
            }
            table.sets[batch.set] = set
            state.tables[batch.table] = table
        }
    }

    /// Who refers to `chain` (a jump/goto rule or a verdict-map element), if anyone.
    static func referrer(of chain: String, in table: Ruleset.TableState) -> String? {
        for (name, other) in table.chains where name != chain {
            if other.rules.contains(where: { $0.statements.contains { $0.chainReferences.contains(chain) } }) { return "chain \(name)" }
        }
        for (name, set) in table.sets where set.definition.data == .verdict {
            if set.elements.values.contains(where: { if case .verdict(let verdict)? = $0.data { verdict.target == chain } else { false } }) {
                return "map \(name)"
            }
        }
        return nil
    }

    static func checkReferences(of rule: Rule, in table: Ruleset.TableState) throws {
        for statement in rule.statements {
            for target in statement.chainReferences where table.chains[target] == nil {
                throw Failure(code: .notFound, reason: "rule jumps to missing chain \(target)")
            }
            for name in statement.setReferences where table.sets[name] == nil {
                throw Failure(code: .notFound, reason: "rule uses missing set \(name)")
            }
            switch statement {
            case .verdictMap(_, let map):
                guard table.sets[map]?.definition.data == .verdict else { throw Failure(code: .invalid, reason: "\(map) is not a verdict map") }
            case .dnat(.map(_, let map), _):
                guard case .data? = table.sets[map]?.definition.data else { throw Failure(code: .invalid, reason: "\(map) is not a data map") }
            default:
                break
            }
        }
    }
}
