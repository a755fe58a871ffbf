import SwitchyardModel

/// The four ways of programming the same cluster that the benchmark compares.
public enum BenchPath: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Switchyard's own netlink batch (in process).
    case switchyard
    /// The same ruleset and transactions as `nft -f` text through `nft`.
    case nftSame = "nft-same"
    /// kube-proxy's nftables-mode layout through `nft -f`.
    case nftKubeProxy = "nft-kube-proxy"
    /// Switchyard's own iptables mode (``IptablesSync``, the daemon's code): render the plan, then
    /// `iptables-restore` the full layout or only the changed Services' chains, in the node's variant.
    case switchyardIptables = "switchyard-iptables"
    /// kube-proxy's iptables-mode layout through `iptables-restore` (faster of nft and legacy backends).
    case iptablesRestore = "iptables-restore"

    public static func < (lhs: BenchPath, rhs: BenchPath) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// What is measured.
public enum BenchPhase: String, Sendable, Hashable, CaseIterable, Comparable {
    case compute
    case full
    case endpointChange = "endpoint-change"
    case serviceAdd = "service-add"
    case serviceRemove = "service-remove"
    case restart
    case cleanup

    /// Phases that need the full ruleset loaded first.
    public var needsLoadedRuleset: Bool { [.endpointChange, .serviceAdd, .serviceRemove, .restart].contains(self) }

    public static func < (lhs: BenchPhase, rhs: BenchPhase) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// One measured (path, phase): median, min and max of its runs in milliseconds, or why there is none.
public struct BenchRow: Sendable, Hashable {
    public var path: BenchPath
    public var phase: BenchPhase
    public var services: Int
    public var endpointsPerService: Int
    /// The samples, in milliseconds (empty when the path failed or timed out).
    public var samples: [Double]
    /// Why there are no figures (the command's error, "timed out after …", "skipped: …").
    public var error: String?
    /// The path ran past `--path-timeout`.
    public var timedOut = false
    /// Repairs sent (switchyard `restart`: must be 0; the rewrite of sets too large to read back is
    /// in `detail`) or operations in the transaction.
    public var operations: Int?
    /// For Switchyard's incremental phases: the median compute part (re-plan + diff) in ms.
    public var computeMilliseconds: Double?
    /// Kernel memory the full ruleset took (Slab + vmalloc growth over the load), in bytes.
    public var kernelMemoryBytes: Int?
    /// Objects the full load created (table, chains, rules, sets, elements).
    public var kernelObjects: Int?
    /// Which variant produced the figures (e.g. the iptables backend).
    public var detail: String?

    public init(path: BenchPath, phase: BenchPhase, shape: ClusterShape, samples: [Double] = [], error: String? = nil) {
        self.path = path
        self.phase = phase
        services = shape.services
        endpointsPerService = shape.endpointsPerService
        self.samples = samples
        self.error = error
    }

    public var median: Double? { Statistics.median(samples) }
    public var minimum: Double? { samples.min() }
    public var maximum: Double? { samples.max() }
}

/// Median and friends.
public enum Statistics {
    /// The median (mean of the two middle values for an even count); nil when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Everything one `switchyard bench` run measured.
public struct BenchReport: Sendable {
    public var shape: ClusterShape
    public var runs: Int
    public var dispatch: String
    public var rows: [BenchRow] = []
    /// getrusage(RUSAGE_SELF).ru_maxrss of the benchmark process, in bytes.
    public var peakRSSBytes: Int = 0
    /// Objects Switchyard's full load created in the kernel (read back over netlink).
    public var kernelObjects: Int = 0
    /// Kernel memory Switchyard's full ruleset took, in bytes (nil when not measured).
    public var kernelMemoryBytes: Int?
    /// Load average when the run started (the machine is shared).
    public var loadAverage: String = ""

    public init(shape: ClusterShape, runs: Int, dispatch: String) {
        self.shape = shape
        self.runs = runs
        self.dispatch = dispatch
    }

    /// The row of (path, phase), if measured.
    public func row(_ path: BenchPath, _ phase: BenchPhase) -> BenchRow? {
        rows.first { $0.path == path && $0.phase == phase }
    }

    // MARK: JSON

    /// `{"rows": [...], "peak_rss_bytes": n, "kernel_objects": n, …}` — the shape, keys in a
    /// fixed order; failed rows carry `null` figures and an `"error"`.
    public func json() -> String {
        var out = "{\"rows\": ["
        out += rows.map { row in
            var fields = [
                "\"path\": \(JSONText.quote(row.path.rawValue))",
                "\"phase\": \(JSONText.quote(row.phase.rawValue))",
                "\"services\": \(row.services)",
                "\"endpoints_per_service\": \(row.endpointsPerService)",
                "\"median_ms\": \(JSON.number(row.median))",
                "\"min_ms\": \(JSON.number(row.minimum))",
                "\"max_ms\": \(JSON.number(row.maximum))",
                "\"runs\": \(row.samples.count)",
            ]
            if let error = row.error { fields.append("\"error\": \(JSONText.quote(error))") }
            if row.timedOut { fields.append("\"timed_out\": true") }
            if let operations = row.operations { fields.append("\"operations\": \(operations)") }
            if let compute = row.computeMilliseconds { fields.append("\"compute_ms\": \(JSON.number(compute))") }
            if let memory = row.kernelMemoryBytes { fields.append("\"kernel_memory_bytes\": \(memory)") }
            if let objects = row.kernelObjects { fields.append("\"kernel_objects\": \(objects)") }
            if let detail = row.detail { fields.append("\"detail\": \(JSONText.quote(detail))") }
            return "{" + fields.joined(separator: ", ") + "}"
        }.joined(separator: ", ")
        out += "], \"peak_rss_bytes\": \(peakRSSBytes), \"kernel_objects\": \(kernelObjects)"
        if let memory = kernelMemoryBytes { out += ", \"kernel_memory_bytes\": \(memory)" }
        out += ", \"dispatch\": \(JSONText.quote(dispatch)), \"load_average\": \(JSONText.quote(loadAverage))}"
        return out
    }

    // MARK: Table

    /// A fixed-width table: one line per row, then the process figures.
    public func table() -> String {
        var lines = ["switchyard bench: \(shape), \(runs) run(s), dispatch \(dispatch), load average \(loadAverage)"]
        let header = ["path", "phase", "median ms", "min ms", "max ms", "runs", "note"]
        var cells: [[String]] = [header]
        for row in rows {
            var note: [String] = []
            if let error = row.error { note.append(row.timedOut ? "TIMED OUT: \(error)" : "ERROR: \(error)") }
            if let operations = row.operations { note.append("ops \(operations)") }
            if let compute = row.computeMilliseconds { note.append("compute \(Format.milliseconds(compute)) ms") }
            if let memory = row.kernelMemoryBytes { note.append("kernel mem \(Format.mebibytes(memory))") }
            if let objects = row.kernelObjects { note.append("\(objects) objects") }
            if let detail = row.detail { note.append(detail) }
            cells.append([
                row.path.rawValue, row.phase.rawValue, row.median.map(Format.milliseconds) ?? "-",
                row.minimum.map(Format.milliseconds) ?? "-", row.maximum.map(Format.milliseconds) ?? "-",
                String(row.samples.count), note.joined(separator: "; "),
            ])
        }
        let widths = (0..<header.count - 1).map { column in cells.map { $0[column].count }.max() ?? 0 }
        for row in cells {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column < widths.count {
                    let pad = String(repeating: " ", count: widths[column] - cell.count)
                    line += column >= 2 && column <= 5 ? pad + cell + "  " : cell + pad + "  "
                } else {
                    line += cell
                }
            }
            lines.append(line.replacingTrailingSpaces)
        }
        lines.append("peak RSS \(Format.mebibytes(peakRSSBytes)); Switchyard kernel objects \(kernelObjects)"
                     + (kernelMemoryBytes.map { "; Switchyard kernel memory \(Format.mebibytes($0))" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Number formatting without Foundation.
public enum Format {
    /// Milliseconds with 3 significant decimals below 10, 1 below 1000, none above.
    public static func milliseconds(_ value: Double) -> String {
        if value < 10 { return fixed(value, 3) }
        if value < 1000 { return fixed(value, 1) }
        return fixed(value, 0)
    }

    /// `12.3 MiB`.
    public static func mebibytes(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576, 1) + " MiB" }

    /// `value` with `digits` decimals.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "nan" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled) - whole * Int(scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let text = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: digits - text.count) + text
    }
}

enum JSON {
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return Format.fixed(value, 4)
    }
}

extension String {
    var replacingTrailingSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
