import SwitchyardModel
import ArgumentParser
import Foundation
import SwitchyardBench
import SwitchyardLB
import SwitchyardRules
import SwitchyardSystem

/// `switchyard bench`: rule sync at scale on a seeded synthetic cluster, side by side with the paths
/// kube-proxy uses (nft -f of its nftables layout, iptables-restore of its iptables layout), each in
/// a private network namespace created and deleted per measurement. Needs root.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure full and incremental rule syncs against kube-proxy's nft and iptables paths (root).",
        discussion: """
            Phases: compute, full, endpoint-change, service-add, service-remove, restart, cleanup.
            Paths: switchyard (netlink batch), nft-same (the same ruleset through nft -f), nft-kube-proxy
            (kube-proxy's nftables layout through nft -f), switchyard-iptables (Switchyard's iptables mode: the
            daemon's render and partial restores), iptables-restore (kube-proxy's iptables layout, the faster
            of iptables-nft and iptables-legacy). Progress goes to stderr, results to stdout.
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "Number of Services (one port each).")
    var services: Int = 1000

    @Option(name: .customLong("endpoints-per-service"), help: "Ready endpoints per Service.")
    var endpointsPerService: Int = 10

    @Option(help: "Dispatch model: \(DispatchModel.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dispatch: String = DispatchModel.default.rawValue

    @Option(help: "Runs per measurement (median, min and max are reported).")
    var runs: Int = 3

    @Option(help: "Output: table or json.")
    var output: Output = .table

    @Option(name: .customLong("path-timeout"), help: "Seconds after which a path's external command is killed and reported as timed out.")
    var pathTimeout: Double = 300

    @Option(help: "Comma-separated phases to measure (default: all).")
    var phases: String = BenchPhase.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Comma-separated paths to measure (default: all).")
    var paths: String = BenchPath.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Seed of the synthetic cluster.")
    var seed: UInt64 = 1

    func validate() throws {
        guard services >= 1 else { throw ValidationError("--services must be at least 1") }
        guard endpointsPerService >= 1 else { throw ValidationError("--endpoints-per-service must be at least 1") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard pathTimeout > 0 else { throw ValidationError("--path-timeout must be positive") }
        do { _ = try DispatchModel(parsing: dispatch) } catch { throw ValidationError(error.description) }
        _ = try parsedPhases()
        _ = try parsedPaths()
    }

    func parsedPhases() throws -> Set<BenchPhase> {
        try Set(phases.split(separator: ",").map { text in
            guard let phase = BenchPhase(rawValue: String(text)) else {
                throw ValidationError("--phases: unknown phase '\(text)' (expected \(BenchPhase.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return phase
        })
    }

    func parsedPaths() throws -> Set<BenchPath> {
        try Set(paths.split(separator: ",").map { text in
            guard let path = BenchPath(rawValue: String(text)) else {
                throw ValidationError("--paths: unknown path '\(text)' (expected \(BenchPath.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return path
        })
    }

    func run() throws {
        let options = BenchOptions(
            shape: ClusterShape(services: services, endpointsPerService: endpointsPerService, seed: seed),
            dispatch: try DispatchModel(parsing: dispatch), runs: runs, pathTimeout: pathTimeout,
            phases: try parsedPhases(), paths: try parsedPaths()
        )
        var runner = BenchRunner(options: options) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let report = try runner.run()
        switch output {
        case .table: print(report.table(), terminator: "")
        case .json: print(report.json())
        }
    }
}
