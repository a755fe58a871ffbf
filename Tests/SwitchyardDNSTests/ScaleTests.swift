import SwitchyardBench
import SwitchyardDNS
import SwitchyardModel
import Testing

@Suite("scale")
struct ScaleTests {
    @Test("a generated cluster builds quickly and answers every kind of name")
    func generatedCluster() throws {
        var store = ClusterStore()
        store.apply(BenchmarkCluster.objects(services: 2000, pods: 10000).map(ClusterEvent.added))
        let clock = ContinuousClock()
        var zone: DNSZone?
        let took = clock.measure { zone = DNSZone(snapshot: store.snapshot, options: DNSZoneOptions(serial: 1)) }
        guard let zone else { return }
        // Debug build; the release build of 10,000 services + 50,000 pods is measured in docs/dns.md.
        #expect(took < .seconds(20))
        #expect(try ask(zone, "svc-1.ns-1.svc.cluster.local.", .a).answers == ["svc-1.ns-1.svc.cluster.local. 30 IN A 10.96.0.2"])
        #expect(try ask(zone, "svc-9.ns-9.svc.cluster.local.", .a).answers.count == 5)
        #expect(try ask(zone, "_http._tcp.svc-1.ns-1.svc.cluster.local.", .srv).answers
            == ["_http._tcp.svc-1.ns-1.svc.cluster.local. 30 IN SRV 0 100 80 svc-1.ns-1.svc.cluster.local."])
        #expect(try ask(zone, "nope.ns-1.svc.cluster.local.", .a).rcode == .nameError)
        #expect(try ask(zone, "2.0.96.10.in-addr.arpa.", .ptr).answers == ["2.0.96.10.in-addr.arpa. 30 IN PTR svc-1.ns-1.svc.cluster.local."])
    }
}
