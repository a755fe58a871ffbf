import SwitchyardLB
import SwitchyardModel
import Testing

/// Invariants of plans over randomly generated Services and slices (fixed seeds).
@Suite("Plan properties")
struct PlanPropertyTests {
    typealias F = Fixture

    /// A random Service with 1–3 slices of up to 12 endpoints: random conditions, nodes, zones,
    /// hints, duplicates across slices, and sometimes a second port or trafficDistribution.
    static func randomCase(seed: UInt64) -> (Service, [EndpointSlice]) {
        var rng = SeededGenerator(seed: seed)
        func pick<T>(_ values: [T]) -> T { values[Int(rng.next() % UInt64(values.count))] }
        let service = F.service(ports: [ServicePort(name: "http", port: 80, nodePort: 30080), ServicePort(name: "dns", protocol: .udp, port: 53)]) {
            $0.internalTrafficPolicy = pick([.cluster, .local])
            $0.externalTrafficPolicy = pick([.cluster, .local])
            $0.trafficDistribution = pick([nil, .preferClose, .preferSameNode])
        }
        let nodes: [String?] = [F.nodeName, "node-b", "node-c", nil]
        let zones: [String?] = ["zone-1", "zone-2", nil]
        let conditions: [EndpointConditions] = [
            .init(), .init(ready: true), .init(ready: false), .init(ready: false, serving: true, terminating: true),
            .init(ready: false, serving: false, terminating: true), .init(ready: false, serving: true),
        ]
        let withHints = rng.next() % 3 == 0
        let slices = (0..<(1 + Int(rng.next() % 3))).map { index in
            F.slice("s\(index)", ports: [EndpointPort(name: "http", port: 8080), EndpointPort(name: "dns", protocol: .udp, port: 5353)],
                    endpoints: (0..<Int(rng.next() % 13)).map { _ in
                        let zone = pick(zones)
                        return Endpoint(
                            addresses: [F.ip("10.244.0.\(1 + rng.next() % 16)")], conditions: pick(conditions),
                            nodeName: pick(nodes), zone: zone,
                            hints: withHints ? EndpointHints(forZones: zone.map { [$0] } ?? []) : nil
                        )
                    })
        }
        return (service, slices)
    }

    @Test("selection invariants hold", arguments: 0..<200 as Range<UInt64>)
    func invariants(seed: UInt64) {
        let (service, slices) = Self.randomCase(seed: seed)
        var config = F.config
        config.dispatch = DispatchModel.allCases[Int(seed % 5)]
        let plans = F.plan(service, slices, config: config)
        #expect(plans.count == 2)
        for plan in plans {
            let all = Set(plan.reachableEndpoints)
            let anyReady = plan.cluster.endpoints.contains { $0.isReady }
            // Cluster: all ready, or (nothing ready anywhere) all serving and terminating.
            #expect(plan.cluster.endpoints.allSatisfy { $0.isReady } || plan.cluster.endpoints.allSatisfy { !$0.isReady && $0.isServing && $0.isTerminating })
            #expect(plan.hasEndpoints == !plan.cluster.isEmpty)
            // Local: only this node's, all ready or all serving-terminating.
            #expect(plan.local.endpoints.allSatisfy { $0.isLocal })
            #expect(plan.local.endpoints.allSatisfy { $0.isReady } || plan.local.endpoints.allSatisfy { $0.isServing && $0.isTerminating })
            if !anyReady && plan.hasEndpoints { #expect(plan.cluster.endpoints.allSatisfy { $0.isTerminating }) }
            // Sorted, unique, and every endpoint has a slot in table models.
            for set in [plan.cluster, plan.local] {
                #expect(zip(set.endpoints, set.endpoints.dropFirst()).allSatisfy { $0 < $1 })
                if config.dispatch.usesSlotTable && !set.isEmpty {
                    #expect(Set(set.table.slots) == Set(set.endpoints.indices))
                } else {
                    #expect(set.table.slots.isEmpty)
                }
            }
            #expect(plan.cluster.ifEmpty == .reject)
            #expect(plan.local.ifEmpty == (plan.hasEndpoints ? .drop : .reject))
            #expect(all.isSuperset(of: plan.internal.endpoints))
            if plan.isExternallyAccessible { #expect(all.isSuperset(of: plan.external.endpoints)) }
        }
        // Slice order does not matter.
        #expect(F.plan(service, slices.reversed(), config: config) == plans)
    }
}
