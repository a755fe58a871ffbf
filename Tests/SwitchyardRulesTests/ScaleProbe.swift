import Foundation
import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules

/// Timing probe, off by default: `SWITCHYARD_PERF=1 swift test -c release --filter ScaleProbe`.
/// (The benchmark suite proper lives in Benchmarks/; this only prints figures for docs/ruleset.md.)
@Suite("Scale probe")
struct ScaleProbe {
    @Test("compile, diff and incremental update at 1k and 10k services × 10 endpoints",
          .enabled(if: ProcessInfo.processInfo.environment["SWITCHYARD_PERF"] == "1", "set SWITCHYARD_PERF=1"),
          arguments: [1000, 10000])
    func probe(services: Int) {
        let clock = ContinuousClock()
        var plans: [ObjectKey: [ServicePortPlan]] = [:]
        let node = NodeContext(name: "node-a", primaryIPs: [ip("192.168.1.10")], nodePortAddresses: [ip("192.168.1.10")])
        let config = ProxyConfig(nodeName: "node-a", clusterCIDRs: [CIDR("10.0.0.0/8")!])
        func plan(_ index: Int, shift: Int = 0) -> ServicePortPlan {
            let endpoints = (0..<10).map { EndpointAddress(ip: .v4(IPv4Address(UInt32(0x0A00_0000 + index * 16 + $0 + shift))), port: 8080) }
            let set = EndpointSet(endpoints: endpoints, table: DispatchTables.table(for: endpoints, model: .random), ifEmpty: .reject)
            let none = EndpointSet(endpoints: [], table: DispatchTable(model: .random, slots: []), ifEmpty: .drop)
            return ServicePortPlan(name: ServicePortName(service: ObjectKey(namespace: "ns", name: "svc-\(index)"), port: "http", protocol: .tcp),
                                   family: .ipv4, port: 80, clusterIP: .v4(IPv4Address(UInt32(0x6400_0000 + index))),
                                   cluster: set, local: none, hasEndpoints: true)
        }
        for index in 0..<services { plans[ObjectKey(namespace: "ns", name: "svc-\(index)")] = [plan(index)] }
        let clusterPlan = ClusterPlan(node: node, services: plans)
        var start = clock.now
        let ruleset = Compiler.compile(clusterPlan, config: config)
        let compile = clock.now - start
        start = clock.now
        let full = Differ.diff(from: Ruleset(), to: ruleset)
        let diff = clock.now - start
        start = clock.now
        let text = full.render()
        let render = clock.now - start
        if let directory = ProcessInfo.processInfo.environment["SWITCHYARD_PERF_DUMP"] {
            try? text.write(toFile: "\(directory)/probe-\(services).nft", atomically: true, encoding: .utf8)
        }
        start = clock.now
        var rules = IncrementalCompiler(config: config, plan: clusterPlan)
        let state = clock.now - start
        let key = ObjectKey(namespace: "ns", name: "svc-7")
        var changed = plan(7)
        changed.cluster.endpoints[3].ip = .v4(IPv4Address(0x0B00_0001))
        start = clock.now
        let rounds = 200
        var ops = 0
        for round in 0..<rounds {
            var update = changed
            update.cluster.endpoints[3].port = 9000 + round
            ops += rules.apply(PlanUpdate(node: node, isFull: false, services: [key: [update]])).count
        }
        let incremental = (clock.now - start) / rounds
        print("PERF \(services) services: compile \(compile), diff-from-empty \(diff) (\(full.count) ops), render \(render) (\(text.utf8.count) bytes), "
              + "incremental state \(state), one-endpoint update \(incremental) (\(ops / rounds) ops)")
        #expect(ops > 0)
    }
}
