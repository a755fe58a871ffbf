import SwitchyardBench
import SwitchyardDNS
import SwitchyardModel
import Testing

@Suite("master file")
struct MasterFileTests {
    static func benchmarkSnapshot() -> ClusterSnapshot {
        var store = ClusterStore()
        store.apply(BenchmarkCluster.objects(services: 40, pods: 200).map(ClusterEvent.added))
        return store.snapshot
    }

    /// The file's records grouped by "owner type", in file order.
    static func records(_ text: String) -> [String: [String]] {
        var groups: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix(";") && !line.hasPrefix("$") {
            let fields = line.split(separator: " ")
            groups["\(fields[0]) \(fields[3])", default: []].append(String(line))
        }
        return groups
    }

    @Test("every record in the file is what the zone answers for that name and type", arguments: [false, true])
    func matchesTheZone(benchmark: Bool) throws {
        let snapshot = benchmark ? Self.benchmarkSnapshot() : Fixture.snapshot()
        let options = DNSZoneOptions(serial: 7)
        let zone = DNSZone(snapshot: snapshot, options: options)
        let groups = Self.records(try MasterFile.text(snapshot: snapshot, options: options))
        #expect(groups.count > 10)
        for (key, lines) in groups {
            let parts = key.split(separator: " ")
            let type = try #require(RecordType(mnemonic: parts[1]))
            let reply = try ask(zone, String(parts[0]), type, maxSize: DNSLimits.maxMessageSize)  // untruncated
            #expect(reply.rcode == .noError, "\(key)")
            #expect(reply.answers.sorted() == lines.sorted(), "\(key)")
        }
    }

    @Test("the benchmark zone's file holds service, SRV and headless records, and nothing outside the zone")
    func benchmarkContent() throws {
        let text = try MasterFile.text(snapshot: Self.benchmarkSnapshot(), options: DNSZoneOptions(serial: 7))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[1] == "$ORIGIN cluster.local.")
        #expect(lines[2] == "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 7 7200 1800 86400 30")
        #expect(lines.contains("svc-1.ns-1.svc.cluster.local. 30 IN A 10.96.0.2"))
        #expect(lines.contains("_http._tcp.svc-1.ns-1.svc.cluster.local. 30 IN SRV 0 100 80 svc-1.ns-1.svc.cluster.local."))
        // svc-9 is headless: its five endpoints' addresses, and a name per endpoint.
        #expect(lines.filter { $0.hasPrefix("svc-9.ns-9.svc.cluster.local. 30 IN A ") }.count == 5)
        #expect(lines.contains("10-244-0-46.svc-9.ns-9.svc.cluster.local. 30 IN A 10.244.0.46"))
        #expect(!lines.contains { $0.contains("in-addr.arpa") || $0.contains(".pod.cluster.local") })
        #expect(try MasterFile.text(snapshot: Self.benchmarkSnapshot(), options: DNSZoneOptions(serial: 7)) == text)
    }

    @Test("an ExternalName is its CNAME alone")
    func externalName() throws {
        let text = try MasterFile.text(snapshot: Fixture.snapshot(), options: DNSZoneOptions(serial: 1))
        let alias = text.split(separator: "\n").filter { $0.hasPrefix("alias.default.svc.cluster.local.") }
        #expect(alias == ["alias.default.svc.cluster.local. 30 IN CNAME web.default.svc.cluster.local."])
    }

    @Test("a zone index outside the options is an error")
    func noSuchZone() {
        #expect(throws: MasterFileError.noSuchZone(index: 1, zoneCount: 1)) {
            try MasterFile.text(snapshot: Fixture.snapshot(), zone: 1)
        }
    }
}
