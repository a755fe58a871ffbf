import SwitchyardModel
import Testing
@testable import SwitchyardDNS

@Suite("Reverse names outside the drafts")
struct ReverseNamesTests {
    static func wire(_ text: String) -> [UInt8] { DNSName(text)!.lowercased().wire }

    @Test("the direct PTR encoding is byte for byte the general one", arguments: [1, 2, 20, 3000])
    func sameBytes(count: Int) {
        let question = ZoneBuilder.reverseName(IPAddress("10.244.0.1")!)
        // Targets sharing suffixes at several depths, and long enough at 3,000 to pass the 64 KiB budget.
        let targets = (0..<count).map { i in
            Self.wire("10-244-0-1.svc-\(i % 7)-\(String(repeating: "x", count: i % 40)).ns-\(i % 3).svc.cluster.local")
        }
        let records = targets.map {
            ResourceRecord(name: DNSName(uncheckedWire: question), ttl: 30, data: .ptr(DNSName(uncheckedWire: $0)))
        }
        var general: [UInt8] = []
        Answer.encodeEntry(type: .ptr, answers: records, additional: [], questionName: question,
                           zoneLength: DNSZone.inAddrArpa.wire.count, into: &general)
        var direct: [UInt8] = []
        Answer.encodePTREntry(targets: targets.map { $0[...] }, ttl: 30, questionName: question,
                              zoneLength: DNSZone.inAddrArpa.wire.count, into: &direct)
        #expect(direct == general)
    }

    @Test("a target is kept once per name, and a ClusterIP names its first Service only")
    func claimsAndDuplicates() {
        var names = ReverseNames()
        let shared = IPAddress("10.96.0.10")!, pod = IPAddress("10.244.0.7")!
        let web = Self.wire("web.default.svc.cluster.local"), api = Self.wire("api.default.svc.cluster.local")
        names.addClusterIP(shared, target: web)
        names.addClusterIP(shared, target: api)
        names.addEndpoint(pod, label: Array("10-244-0-7".utf8), suffix: web)
        names.addEndpoint(pod, label: Array("10-244-0-7".utf8), suffix: web)
        names.addEndpoint(pod, label: Array("10-244-0-7".utf8), suffix: api)
        let long = Self.wire((0..<4).map { _ in String(repeating: "b", count: 60) }.joined(separator: ".") + ".")
        let added = names.addEndpoint(pod, label: Array(repeating: UInt8(ascii: "a"), count: 63), suffix: long)
        #expect(!added, "a target longer than 255 bytes is no name")
        var seen: [IPAddress: [String]] = [:]
        names.forEach { address, targets in seen[address] = targets.map { DNSName(uncheckedWire: Array($0)).description } }
        #expect(seen[shared] == ["web.default.svc.cluster.local."])
        #expect(seen[pod] == ["10-244-0-7.web.default.svc.cluster.local.", "10-244-0-7.api.default.svc.cluster.local."])
        #expect(names.count == 2)
    }
}
