import Benchmark
import SwitchyardBench
import SwitchyardDNS
import SwitchyardModel

/// The daemon's DNS publish (`IncrementalZone.update`) on the synthetic cluster `switchyard bench`
/// uses (seed 1, 10 endpoints per Service), one change per publish: what a publish costs beyond the
/// names it writes is paid once per publish, so it is what a 20-ms publish interval multiplies.

/// Mutable state for one benchmark: the cluster handing out changes, the store and the zone.
/// Benchmarks run one at a time, so the box is not shared.
final class PublishState: @unchecked Sendable {
    var cluster: SyntheticCluster
    var store: ClusterStore
    var zone: IncrementalZone
    var round = 0

    init(services: Int) {
        cluster = SyntheticCluster(ClusterShape(services: services, endpointsPerService: 10))
        store = cluster.store
        zone = IncrementalZone(options: DNSZoneOptions())
        zone.update(to: store.snapshot, changes: nil)
        zone.buildIndexesIfPending()
    }

    /// Applies `events` to the store and publishes the zone for them.
    func publish(_ events: [ClusterEvent], _ benchmark: Benchmark) {
        benchmark.startMeasurement()
        let before = store.snapshot
        store.apply(events)
        _ = store.takeChanges()
        let published = zone.update(to: store.snapshot, changes: ZoneChanges(events: events, before: before))
        benchmark.stopMeasurement()
        blackHole(published.nameCount)
    }
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, maxDuration: .seconds(10), maxIterations: 5_000)

    let replacements = PublishState(services: 10_000)
    Benchmark("dns publish: one Service replaced (one added, one removed), 10000 services x 10 endpoints",
              configuration: configuration) { benchmark in
        let round = replacements.round
        replacements.round += 1
        let events = replacements.cluster.addService() + replacements.cluster.removeService(round: round)
        replacements.publish(events, benchmark)
    }

    let endpoints = PublishState(services: 10_000)
    Benchmark("dns publish: one endpoint change, 10000 services x 10 endpoints", configuration: configuration) { benchmark in
        let events = endpoints.cluster.replaceEndpoint(round: endpoints.round)
        endpoints.round += 1
        endpoints.publish(events, benchmark)
    }
}
