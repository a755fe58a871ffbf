import SwitchyardModel
import Testing
@testable import SwitchyardDNS

@Suite("Endpoint names outside the drafts")
struct AddressNamesTests {
    static let owner = DNSName("10-1-2-3.web.default.svc.cluster.local")!.lowercased().wire

    /// What the general encoder writes for the same records.
    static func general(_ addresses: [IPAddress], ttl: UInt32) -> [UInt8] {
        let records = addresses.map { address in
            switch address {
            case .v4(let a): ResourceRecord(name: DNSName(uncheckedWire: owner), ttl: ttl, data: .a(a))
            case .v6(let a): ResourceRecord(name: DNSName(uncheckedWire: owner), ttl: ttl, data: .aaaa(a))
            }
        }
        var out: [UInt8] = []
        for type in [RecordType.a, .aaaa] {
            let answers = records.filter { $0.type == type }
            if !answers.isEmpty {
                Answer.encodeEntry(type: type, answers: answers, additional: [], questionName: owner,
                                   zoneLength: DNSZoneOptions.clusterLocal.wire.count, into: &out)
            }
        }
        return out
    }

    @Test("the direct encoding is byte for byte the general one", arguments: [0, 1, 2, 7, 100, 5000])
    func sameBytes(count: Int) {
        var generator = SystemRandomNumberGenerator()
        for mix in 0..<3 {
            let addresses: [IPAddress] = (0..<count).map { i in
                let v6 = mix == 1 || (mix == 2 && Bool.random(using: &generator))
                return v6 ? .v6(IPv6Address(high: 0xfd00 << 48, low: UInt64(i))) : .v4(IPv4Address(UInt32(0x0a00_0000 + i)))
            }
            guard !addresses.isEmpty else { continue }
            var direct: [UInt8] = []
            AddressNames.encode(addresses[...], nameLength: Self.owner.count, ttl: 30, into: &direct)
            #expect(direct == Self.general(addresses, ttl: 30), "\(count) addresses, mix \(mix)")
        }
    }

    @Test("an ExternalName chased into an endpoint's name answers with its address")
    func chaseIntoEndpointName() throws {
        let service = Service(namespace: "default", name: "db", isHeadless: true,
                              ports: [ServicePort(name: "pg", port: 5432)])
        let slice = EndpointSlice(
            namespace: "default", name: "db-1", labels: [WellKnownLabel.serviceName: "db"],
            endpoints: [Endpoint(addresses: [IPAddress("10.1.2.3")!], conditions: EndpointConditions(ready: true))],
            ports: [EndpointPort(name: "pg", port: 5432)])
        let alias = Service(namespace: "default", name: "primary", type: .externalName,
                            externalName: "10-1-2-3.db.default.svc.cluster.local")
        var store = ClusterStore()
        store.apply([.service(service), .endpointSlice(slice), .service(alias)].map(ClusterEvent.added))
        let zone = DNSZone(snapshot: store.snapshot, options: DNSZoneOptions())
        let reply = try ask(zone, "primary.default.svc.cluster.local", .a)
        #expect(reply.answers == [
            "primary.default.svc.cluster.local. 30 IN CNAME 10-1-2-3.db.default.svc.cluster.local.",
            "10-1-2-3.db.default.svc.cluster.local. 30 IN A 10.1.2.3",
        ])
    }
}
