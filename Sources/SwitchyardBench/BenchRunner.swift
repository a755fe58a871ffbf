import SwitchyardIptables
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardRules
#if canImport(Glibc)
import Glibc
#endif

/// What `switchyard bench` measures and how.
public struct BenchOptions: Sendable {
    public var shape: ClusterShape
    public var dispatch: DispatchModel
    /// Runs per measurement (median/min/max over them).
    public var runs: Int
    /// Seconds after which an external command of a path is killed and the path reported as timed out.
    public var pathTimeout: Double
    public var phases: Set<BenchPhase>
    public var paths: Set<BenchPath>

    public init(
        shape: ClusterShape, dispatch: DispatchModel = .default, runs: Int = 3, pathTimeout: Double = 300,
        phases: Set<BenchPhase> = Set(BenchPhase.allCases), paths: Set<BenchPath> = Set(BenchPath.allCases)
    ) {
        self.shape = shape
        self.dispatch = dispatch
        self.runs = max(1, runs)
        self.pathTimeout = pathTimeout
        self.phases = phases
        self.paths = paths
    }
}

/// Runs the benchmark: builds the synthetic cluster, computes Switchyard's full and incremental
/// transactions, then loads the same cluster along each path in a private network namespace per
/// measurement (deleted afterwards) and times every phase. Progress goes to `progress`.
public struct BenchRunner {
    public let options: BenchOptions
    let progress: @Sendable (String) -> Void
    private var serial = 0
    private let workDirectory: String

    public init(options: BenchOptions, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.options = options
        self.progress = progress
        workDirectory = "/tmp/sy-bench-\(getpid())"
    }

    /// One precomputed incremental change: Switchyard's transaction and compute time, and the
    /// changed Services' plans before and after (for the other layouts).
    struct Step {
        var phase: BenchPhase
        var transaction: Transaction
        var computeMilliseconds: Double
        var old: [ServicePortPlan]
        var new: [ServicePortPlan]
        var plan: ClusterPlan
    }

    static let incrementalPhases: [BenchPhase] = [.endpointChange, .serviceAdd, .serviceRemove]

    // MARK: Run

    public mutating func run() throws(BenchError) -> BenchReport {
        guard geteuid() == 0 else { throw .notRoot }
        guard SystemProbe.has("ip") else { throw .missingTool("ip") }
        if options.paths.contains(.nftSame) || options.paths.contains(.nftKubeProxy), !SystemProbe.has("nft") {
            throw .missingTool("nft")
        }
        guard mkdir(workDirectory, 0o700) == 0 || errno == EEXIST else { throw .io("cannot create \(workDirectory)") }
        defer { removeWorkDirectory() }

        let shape = options.shape
        var report = BenchReport(shape: shape, runs: options.runs, dispatch: options.dispatch.rawValue)
        report.loadAverage = SystemProbe.loadAverage()
        progress("bench: generating \(shape) (seed \(shape.seed)); load average \(report.loadAverage)")
        var cluster = SyntheticCluster(shape)
        var store = cluster.store
        let config = SyntheticCluster.config(dispatch: options.dispatch)

        // compute: plan + compile + diff from empty.
        var computeSamples: [Double] = []
        var result = RulesPipeline.sync(snapshot: store.snapshot, config: config)
        for run in 0..<options.runs {
            let clock = ContinuousClock()
            let start = clock.now
            let fresh = RulesPipeline.sync(snapshot: store.snapshot, config: config)
            computeSamples.append(seconds(clock.now - start) * 1000)
            result = fresh  // frees the previous run's result outside the timed region
            progress("bench: compute run \(run + 1)/\(options.runs): \(Format.milliseconds(computeSamples[run])) ms (\(result.transaction.count) operations)")
        }
        if options.phases.contains(.compute) {
            var row = BenchRow(path: .switchyard, phase: .compute, shape: shape, samples: computeSamples)
            row.operations = result.transaction.count
            report.rows.append(row)
        }

        // The incremental changes, computed once by Switchyard's incremental pipeline (timed).
        let wantedPhases = Self.incrementalPhases.filter { options.phases.contains($0) }
        var steps: [Step] = []
        var wanted = result.ruleset
        if !wantedPhases.isEmpty || options.phases.contains(.restart) {
            progress("bench: computing \(wantedPhases.count * options.runs) incremental changes")
            var rules = IncrementalCompiler(config: config, plan: result.plan)
            for phase in wantedPhases {
                for round in 0..<options.runs {
                    let events: [ClusterEvent]
                    switch phase {
                    case .endpointChange: events = cluster.replaceEndpoint(round: round)
                    case .serviceAdd: events = cluster.addService()
                    default: events = cluster.removeService(round: round)
                    }
                    let clock = ContinuousClock()
                    let start = clock.now
                    store.apply(events)
                    // The daemon's incremental step, exactly (RulesPipeline.incremental).
                    let change = RulesPipeline.incremental(&rules, changes: store.takeChanges(), snapshot: store.snapshot)
                    let compute = seconds(clock.now - start) * 1000
                    let old = change.before.flatMap(\.ports)
                    let new = change.before.flatMap { rules.plan.services[$0.service] ?? [] }
                    // The iptables path renders the whole plan after each step: a copy of its own (made
                    // outside the timed region), so the compiler's plan stays uniquely referenced.
                    let plan = options.paths.contains(.iptablesRestore) || options.paths.contains(.switchyardIptables)
                        ? ClusterPlan(node: rules.plan.node, services: Dictionary(uniqueKeysWithValues: rules.plan.services.map { ($0.key, $0.value) }))
                        : result.plan
                    steps.append(Step(phase: phase, transaction: change.transaction, computeMilliseconds: compute, old: old, new: new, plan: plan))
                }
            }
            wanted = rules.ruleset()
        }

        if options.paths.contains(.switchyard) {
            report.rows += runSwitchyard(full: result, steps: steps, wanted: wanted, report: &report)
        }
        report.peakRSSBytes = SystemProbe.peakRSSBytes()

        if options.paths.contains(.nftSame) {
            progress("bench: nft-same: rendering the same transactions as nft -f text")
            let tables = result.ruleset.tables.keys.sorted().map { "delete table \($0)" }.joined(separator: "\n") + "\n"
            report.rows += runCommands(CommandPath(
                path: .nftSame, load: ["nft", "-f"], full: result.transaction.render(),
                steps: steps.map { ($0.phase, $0.transaction.render()) }, cleanup: (["nft", "-f"], tables),
                objects: report.kernelObjects == 0 ? nil : report.kernelObjects
            ))
        }
        if options.paths.contains(.nftKubeProxy) {
            progress("bench: nft-kube-proxy: generating kube-proxy's nftables-mode ruleset")
            let layout = KubeProxyNFTLayout(family: .ipv4, node: result.plan.node, config: config)
            let (text, counts) = layout.fullSync(result.plan.servicePorts)
            report.rows += runCommands(CommandPath(
                path: .nftKubeProxy, load: ["nft", "-f"], full: text,
                steps: steps.map { ($0.phase, layout.partialSync(old: $0.old, new: $0.new)) },
                cleanup: (["nft", "-f"], "delete table \(layout.table)\n"), objects: counts.total
            ))
        }
        var kubeProxyVariant: String?
        if options.paths.contains(.iptablesRestore) {
            progress("bench: iptables-restore: generating kube-proxy's iptables-mode ruleset")
            let (variant, rows) = runIptables(full: result, steps: steps, config: config)
            if rows.contains(where: { $0.phase == .full && $0.error == nil }) { kubeProxyVariant = variant }
            report.rows += rows
        }
        if options.paths.contains(.switchyardIptables) {
            report.rows += runSwitchyardIptables(full: result, steps: steps, config: config, variant: kubeProxyVariant)
        }
        report.rows.sort { ($0.phase, $0.path) < ($1.phase, $1.path) }
        return report
    }

    // MARK: Switchyard over netlink

    mutating func runSwitchyard(full: SyncResult, steps: [Step], wanted: Ruleset, report: inout BenchReport) -> [BenchRow] {
        let shape = options.shape
        var fullSamples: [Double] = [], cleanupSamples: [Double] = [], restartSamples: [Double] = []
        var stepSamples: [BenchPhase: [Double]] = [:]
        var stepOperations: [BenchPhase: Int] = [:]
        var errors: [BenchPhase: String] = [:]
        var restartOperations = 0, restartRewritten = 0
        var memory: Int?
        var lowering: Double?
        let tables = OwnedTables.all
        let clock = ContinuousClock()
        for run in 0..<options.runs {
            let namespace: BenchNamespace
            do { namespace = try makeNamespace() } catch { errors[.full] = error.description; break }
            defer { namespace.delete() }
            let before = SystemProbe.kernelMemoryBytes()
            let programmer: NetfilterProgrammer
            do {
                let start = clock.now
                programmer = try NetfilterProgrammer(namespace: .named(namespace.name))
                try programmer.commit(full.transaction)
                fullSamples.append(seconds(clock.now - start) * 1000)
            } catch {
                errors[.full] = "\(error)"
                break
            }
            progress("bench: switchyard full run \(run + 1)/\(options.runs): \(Format.milliseconds(fullSamples[run])) ms")
            if run == 0 {
                // The user-space share of the commit: typed transaction → kernel objects.
                let start = clock.now
                _ = try? Lowering.operations(full.transaction)
                lowering = seconds(clock.now - start) * 1000
                memory = max(0, SystemProbe.kernelMemoryBytes() - before)
                report.kernelMemoryBytes = memory
                report.kernelObjects = countObjects(namespace: namespace.name, tables: tables, wanted: full.ruleset)
            }
            if run == options.runs - 1 {
                for step in steps where errors[step.phase] == nil {
                    do {
                        let start = clock.now
                        try programmer.commit(step.transaction)
                        stepSamples[step.phase, default: []].append(step.computeMilliseconds + seconds(clock.now - start) * 1000)
                        stepOperations[step.phase] = step.transaction.count
                    } catch {
                        errors[step.phase] = "\(error)"
                    }
                }
                if options.phases.contains(.restart) {
                    for _ in 0..<options.runs {
                        do {
                            let start = clock.now
                            let fresh = try NetfilterProgrammer(namespace: .named(namespace.name))
                            let summary = try fresh.reconcile(to: wanted, tables: tables)
                            restartSamples.append(seconds(clock.now - start) * 1000)
                            restartOperations = max(restartOperations, summary.repairs)
                            restartRewritten = max(restartRewritten, summary.rewritten)
                        } catch {
                            errors[.restart] = "\(error)"
                            break
                        }
                    }
                    progress("bench: switchyard restart: \(restartSamples.last.map(Format.milliseconds) ?? "-") ms, \(restartOperations) repairs sent, \(restartRewritten) elements rewritten unread")
                }
            }
            if options.phases.contains(.cleanup) {
                do {
                    let start = clock.now
                    try programmer.deleteOwnedTables()
                    cleanupSamples.append(seconds(clock.now - start) * 1000)
                } catch {
                    errors[.cleanup] = "\(error)"
                }
            }
        }
        var rows: [BenchRow] = []
        if options.phases.contains(.full) {
            var row = BenchRow(path: .switchyard, phase: .full, shape: shape, samples: fullSamples, error: errors[.full])
            row.operations = full.transaction.count
            row.kernelMemoryBytes = memory
            row.kernelObjects = report.kernelObjects == 0 ? nil : report.kernelObjects
            row.detail = lowering.map { "lowering to kernel objects \(Format.milliseconds($0)) ms of it" }
            rows.append(row)
        }
        for phase in Self.incrementalPhases where options.phases.contains(phase) {
            var row = BenchRow(path: .switchyard, phase: phase, shape: shape, samples: stepSamples[phase] ?? [],
                               error: errors[phase] ?? errors[.full].map { "full load failed: \($0)" })
            row.operations = stepOperations[phase]
            row.computeMilliseconds = Statistics.median(steps.filter { $0.phase == phase }.map(\.computeMilliseconds))
            rows.append(row)
        }
        if options.phases.contains(.restart) {
            var row = BenchRow(path: .switchyard, phase: .restart, shape: shape, samples: restartSamples, error: errors[.restart])
            row.operations = restartOperations
            if restartRewritten > 0 { row.detail = "\(restartRewritten) elements of sets too large to read back rewritten unread" }
            rows.append(row)
        }
        if options.phases.contains(.cleanup) {
            rows.append(BenchRow(path: .switchyard, phase: .cleanup, shape: shape, samples: cleanupSamples, error: errors[.cleanup]))
        }
        return rows
    }

    // MARK: Switchyard's iptables mode

    /// The daemon's iptables mode (``IptablesSync``) through the variant kube-proxy's row chose
    /// (`iptables-legacy`, …), so both rows use the same iptables; without that row, through each
    /// available variant, the faster full sync reported.
    mutating func runSwitchyardIptables(full: SyncResult, steps: [Step], config: ProxyConfig, variant label: String?) -> [BenchRow] {
        let variants = (label.map { [String($0.dropFirst("iptables".count))] } ?? ["-nft", "-legacy"])
            .filter { SystemProbe.has("iptables\($0)-restore") }
        let chosen = variants.isEmpty ? (SystemProbe.has("iptables-restore") ? [""] : []) : variants
        guard !chosen.isEmpty else {
            return [BenchRow(path: .switchyardIptables, phase: .full, shape: options.shape, error: "no iptables-restore on PATH")]
        }
        return Self.fastest(chosen.map { variant in
            ("iptables\(variant)", runSwitchyardIptables(variant: variant, full: full, steps: steps, config: config))
        }).rows
    }

    /// One variant's rows, timed end to end: rendering the plan, the restore input (full, or the
    /// changed Services' chains), and the tools, in a fresh namespace per full run.
    mutating func runSwitchyardIptables(variant: String, full: SyncResult, steps: [Step], config: ProxyConfig) -> [BenchRow] {
        var samples: [BenchPhase: [Double]] = [:]
        var operations: [BenchPhase: Int] = [:]
        var errors: [BenchPhase: String] = [:]
        let clock = ContinuousClock()
        for run in 0..<options.runs {
            let namespace: BenchNamespace
            do { namespace = try makeNamespace() } catch { errors[.full] = error.description; break }
            defer { namespace.delete() }
            var sync = IptablesSync(namespace: .named(namespace.name), config: config,
                                    tools: IptablesTools(namespace: .named(namespace.name), variant: variant))
            do {
                let start = clock.now
                operations[.full] = try sync.program(plan: full.plan, changed: nil)
                samples[.full, default: []].append(seconds(clock.now - start) * 1000)
            } catch {
                errors[.full] = "\(error)"
                break
            }
            progress("bench: switchyard-iptables (iptables\(variant)) full run \(run + 1)/\(options.runs): \(Format.milliseconds(samples[.full]?.last ?? 0)) ms")
            if run == options.runs - 1 {
                for step in steps where errors[step.phase] == nil {
                    let changed = Set((step.old + step.new).map(\.name.service))
                    do {
                        let start = clock.now
                        operations[step.phase] = try sync.program(plan: step.plan, changed: changed)
                        samples[step.phase, default: []].append(step.computeMilliseconds + seconds(clock.now - start) * 1000)
                    } catch {
                        errors[step.phase] = "\(error)"
                    }
                }
            }
            if options.phases.contains(.cleanup) {
                do {
                    let start = clock.now
                    _ = try IptablesTools.cleanup(namespace: .named(namespace.name))
                    samples[.cleanup, default: []].append(seconds(clock.now - start) * 1000)
                } catch {
                    errors[.cleanup] = "\(error)"
                }
            }
        }
        return ([BenchPhase.full] + Self.incrementalPhases + [.cleanup]).filter(options.phases.contains).map { phase in
            var row = BenchRow(path: .switchyardIptables, phase: phase, shape: options.shape, samples: samples[phase] ?? [],
                               error: errors[phase] ?? (phase == .full ? nil : errors[.full].map { "full load failed: \($0)" }))
            row.operations = operations[phase]
            if phase != .cleanup { row.detail = "restore lines in ops" }
            return row
        }
    }

    /// Tables, chains, rules, sets and elements in Switchyard's tables, read back over netlink; the
    /// elements of sets too large to read back (``Reconciler/readBackLimit``: the kernel's set dump
    /// is O(n²), 48 s at 10,000 × 100) are counted from `wanted`, which the commit put in whole.
    func countObjects(namespace: String, tables: [TableRef], wanted: Ruleset) -> Int {
        guard let socket = try? NetfilterSocket(namespace: .named(namespace)) else { return 0 }
        var total = 0
        for table in tables {
            let family: KernelFamily = table.family == .ip6 ? .ip6 : .ip
            guard let target = try? Lowering.kernelRuleset(wanted, table: table) else { continue }
            let unread = Reconciler.setsToRewrite(target)
            guard let listed = try? socket.list(family: family, table: table.name, skippingElementsOf: unread), listed.exists else { continue }
            total += 1 + listed.chains.count + listed.rules.values.reduce(0) { $0 + $1.count }
                + listed.sets.count + listed.elements.values.reduce(0) { $0 + $1.count }
                + listed.unreadElements.reduce(0) { $0 + (target.elements[$1]?.count ?? 0) }
        }
        return total
    }

    // MARK: External commands (nft -f, iptables-restore)

    /// A path driven by an external program: the full text, one text per incremental step, cleanup.
    struct CommandPath {
        var path: BenchPath
        var load: [String]
        var full: String
        var steps: [(BenchPhase, String)]
        var cleanup: ([String], String)
        var objects: Int?
        var detail: String?
    }

    mutating func runCommands(_ spec: CommandPath) -> [BenchRow] {
        let shape = options.shape
        let tag = spec.path.rawValue + (spec.detail.map { "-" + $0 } ?? "")
        let fullFile = "\(workDirectory)/\(tag)-full.txt"
        let cleanupFile = "\(workDirectory)/\(tag)-cleanup.txt"
        guard SystemProbe.writeFile(fullFile, spec.full), SystemProbe.writeFile(cleanupFile, spec.cleanup.1) else {
            return [BenchRow(path: spec.path, phase: .full, shape: shape, error: "cannot write \(fullFile)")]
        }
        defer { unlink(fullFile); unlink(cleanupFile) }
        var stepFiles: [(BenchPhase, String)] = []
        for (index, (phase, text)) in spec.steps.enumerated() {
            let file = "\(workDirectory)/\(tag)-step-\(index).txt"
            SystemProbe.writeFile(file, text)
            stepFiles.append((phase, file))
        }
        defer { for (_, file) in stepFiles { unlink(file) } }

        var samples: [BenchPhase: [Double]] = [:]
        var errors: [BenchPhase: (String, Bool)] = [:]
        var memory: Int?
        let name = spec.detail ?? spec.path.rawValue
        for run in 0..<options.runs {
            let namespace: BenchNamespace
            do { namespace = try makeNamespace() } catch { errors[.full] = (error.description, false); break }
            defer { namespace.delete() }
            let before = SystemProbe.kernelMemoryBytes()
            let outcome = execute(spec.load + [fullFile], in: namespace)
            guard outcome.succeeded else {
                errors[.full] = (describe(outcome), outcome.timedOut)
                progress("bench: \(name) full run \(run + 1)/\(options.runs): \(describe(outcome))")
                break
            }
            samples[.full, default: []].append(outcome.seconds * 1000)
            progress("bench: \(name) full run \(run + 1)/\(options.runs): \(Format.milliseconds(outcome.seconds * 1000)) ms")
            if run == 0 { memory = max(0, SystemProbe.kernelMemoryBytes() - before) }
            if run == options.runs - 1 {
                for (phase, file) in stepFiles {
                    let step = execute(spec.load + [file], in: namespace)
                    if step.succeeded {
                        samples[phase, default: []].append(step.seconds * 1000)
                    } else if errors[phase] == nil {
                        errors[phase] = (describe(step), step.timedOut)
                        progress("bench: \(name) \(phase.rawValue): \(describe(step))")
                    }
                }
            }
            if options.phases.contains(.cleanup) {
                let outcome = execute(spec.cleanup.0 + [cleanupFile], in: namespace)
                if outcome.succeeded {
                    samples[.cleanup, default: []].append(outcome.seconds * 1000)
                } else {
                    errors[.cleanup] = (describe(outcome), outcome.timedOut)
                }
            }
        }
        var rows: [BenchRow] = []
        for phase in [BenchPhase.full] + Self.incrementalPhases + [.cleanup] where options.phases.contains(phase) {
            var error = errors[phase]
            if phase != .full, samples[phase] == nil, error == nil, let failed = errors[.full] {
                error = ("full load failed: \(failed.0)", failed.1)
            }
            var row = BenchRow(path: spec.path, phase: phase, shape: shape, samples: samples[phase] ?? [], error: error?.0)
            row.timedOut = error?.1 ?? false
            row.detail = spec.detail
            if phase == .full {
                row.kernelMemoryBytes = memory
                row.kernelObjects = spec.objects
            }
            rows.append(row)
        }
        return rows
    }

    /// kube-proxy's iptables mode through each available backend; the faster full sync wins (its
    /// variant is returned, nil when none ran).
    mutating func runIptables(full: SyncResult, steps: [Step], config: ProxyConfig) -> (variant: String?, rows: [BenchRow]) {
        let backends = ["iptables-nft-restore", "iptables-legacy-restore"].filter(SystemProbe.has)
        let fallback = SystemProbe.has("iptables-restore") ? ["iptables-restore"] : []
        let chosen = backends.isEmpty ? fallback : backends
        guard !chosen.isEmpty else {
            return (nil, [BenchRow(path: .iptablesRestore, phase: .full, shape: options.shape, error: "no iptables-restore on PATH")])
        }
        let node = full.plan.node
        let fullText = KubeProxyIptablesLayout.fullSync(full.plan.servicePorts, node: node, config: config)
        let stepTexts = steps.map { step -> (BenchPhase, String) in
            let text = IptablesRenderer.render(step.plan.servicePorts, family: .ipv4, node: node, config: config)
            return (step.phase, KubeProxyIptablesLayout.partialSync(full: text, old: step.old, new: step.new))
        }
        let chains = fullText.split(separator: "\n").filter { $0.hasPrefix(":") }.count
        let rules = fullText.split(separator: "\n").filter { $0.hasPrefix("-A ") }.count
        let empty = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
            + "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n"
        var results: [(String, [BenchRow])] = []
        for backend in chosen {
            let label = backend.hasSuffix("-restore") ? String(backend.dropLast("-restore".count)) : backend
            results.append((label, runCommands(CommandPath(
                path: .iptablesRestore, load: [backend, "--noflush"], full: fullText, steps: stepTexts,
                cleanup: ([backend], empty), objects: chains + rules, detail: label
            ))))
        }
        let best = Self.fastest(results)
        return (best.label, best.rows)
    }

    /// The rows of the variant with the fastest full sync, each noting the variant (and the full row
    /// the others' full syncs).
    static func fastest(_ results: [(label: String, rows: [BenchRow])]) -> (label: String, rows: [BenchRow]) {
        func fullMedian(_ rows: [BenchRow]) -> Double { rows.first { $0.phase == .full }?.median ?? .infinity }
        let best = results.min { fullMedian($0.rows) < fullMedian($1.rows) } ?? results[0]
        let others = results.filter { $0.label != best.label }.map { label, rows in
            let full = rows.first { $0.phase == .full }
            return "\(label) full " + (full?.median.map { Format.milliseconds($0) + " ms" } ?? (full?.error ?? "not measured"))
        }
        return (best.label, best.rows.map { row in
            var row = row
            row.detail = ([best.label] + (row.detail.map { $0 == best.label ? [] : [$0] } ?? []) + (row.phase == .full ? others : [])).joined(separator: "; ")
            return row
        })
    }

    // MARK: Helpers

    mutating func makeNamespace() throws(BenchError) -> BenchNamespace {
        serial += 1
        return try BenchNamespace(serial: serial)
    }

    func execute(_ arguments: [String], in namespace: BenchNamespace) -> CommandOutcome {
        do {
            return try NamespacedCommand.run(arguments, namespace: namespace.name, timeout: options.pathTimeout)
        } catch {
            return CommandOutcome(status: 127, seconds: 0, errorText: error.description, timedOut: false)
        }
    }

    func describe(_ outcome: CommandOutcome) -> String {
        if outcome.timedOut { return "timed out after \(Format.fixed(options.pathTimeout, 0)) s" }
        let text = outcome.errorText.split(separator: "\n").prefix(3).joined(separator: " | ")
        return "exit \(outcome.status): \(text.prefix(400))"
    }

    func removeWorkDirectory() {
        rmdir(workDirectory)
    }
}
