import Benchmark
import SwitchyardBench
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
import SwitchyardRules

/// The rules pipeline on the synthetic cluster `switchyard bench` uses (seed 1, 10 endpoints per
/// Service). Targets (issue 3, release build, this 2-core machine): full ≤ 100 ms, incremental
/// ≤ 50 µs and independent of size, rendering ≤ 150 ms.

/// Mutable state for the incremental benchmark: a store, the incremental compiler and the cluster
/// that hands out the next change. Benchmarks run one at a time, so the box is not shared.
final class IncrementalState: @unchecked Sendable {
    var cluster: SyntheticCluster
    var store: ClusterStore
    var rules: IncrementalCompiler
    var round = 0
    let config = SyntheticCluster.config()

    init(services: Int) {
        cluster = SyntheticCluster(ClusterShape(services: services, endpointsPerService: 10))
        store = cluster.store
        rules = IncrementalCompiler(config: config, plan: Planner.plan(snapshot: store.snapshot, config: config))
    }
}

let benchmarks: @Sendable () -> Void = {
    let large = SyntheticCluster(ClusterShape(services: 10_000, endpointsPerService: 10)).store.snapshot
    let config = SyntheticCluster.config()

    Benchmark(
        "full: plan+compile+diff from empty, 10000 services x 10 endpoints",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident], timeUnits: .milliseconds,
                             maxDuration: .seconds(30), maxIterations: 10)
    ) { _ in
        blackHole(RulesPipeline.sync(snapshot: large, config: config).transaction.count)
    }

    let transaction = RulesPipeline.sync(snapshot: large, config: config).transaction
    Benchmark(
        "render: nft -f text of the full sync, 10000 services x 10 endpoints",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds,
                             maxDuration: .seconds(30), maxIterations: 10)
    ) { _ in
        blackHole(transaction.render().utf8.count)
    }

    for services in [1_000, 10_000] {
        let state = IncrementalState(services: services)
        Benchmark(
            "incremental: one endpoint change, re-plan + diff, \(services) services x 10 endpoints",
            configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds,
                                 maxDuration: .seconds(10), maxIterations: 2_000)
        ) { benchmark in
            let events = state.cluster.replaceEndpoint(round: state.round)
            state.round += 1
            benchmark.startMeasurement()
            state.store.apply(events)
            let transaction = RulesPipeline.incremental(&state.rules, changes: state.store.takeChanges(), snapshot: state.store.snapshot).transaction
            benchmark.stopMeasurement()
            blackHole(transaction.count)
        }
    }
}
