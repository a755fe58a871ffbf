import SwitchyardDNS
import SwitchyardModel
import Testing

@Suite("wire codec")
struct CodecTests {
    static let name = DNSName("web.default.svc.cluster.local.")!

    static let records: [ResourceRecord] = [
        ResourceRecord(name: name, ttl: 30, data: .a(IPv4Address(10, 96, 0, 20))),
        ResourceRecord(name: name, ttl: 30, data: .aaaa(IPv6Address("fd00::30")!)),
        ResourceRecord(name: name, ttl: 30, data: .cname(DNSName("example.com.")!)),
        ResourceRecord(name: DNSName("20.0.96.10.in-addr.arpa.")!, ttl: 30, data: .ptr(name)),
        ResourceRecord(name: name, ttl: 30, data: .srv(priority: 0, weight: 50, port: 80, target: name)),
        ResourceRecord(name: name, ttl: 28800, data: .txt([Array("1.1.0".utf8), []])),
        ResourceRecord(name: DNSName("cluster.local.")!, ttl: 30, data: .ns(DNSName("ns.dns.cluster.local.")!)),
        ResourceRecord(name: DNSName("cluster.local.")!, ttl: 30, data: .soa(SOAData(
            mname: DNSName("ns.dns.cluster.local.")!, rname: DNSName("hostmaster.cluster.local.")!, serial: 9,
            refresh: 7200, retry: 1800, expire: 86400, minimum: 30))),
        ResourceRecord(name: name, ttl: 1, data: .unknown(RecordType(rawValue: 99), [1, 2, 3])),
    ]

    @Test("each record type round-trips", arguments: records)
    func roundTrip(_ rr: ResourceRecord) throws {
        var flags = HeaderFlags()
        flags.isResponse = true
        flags.authoritative = true
        let message = DNSMessage(
            id: 77, flags: flags, questions: [Question(name: rr.name, type: rr.type)], answers: [rr, rr],
            authority: [rr], additional: [rr], edns: EDNS(udpPayloadSize: 1232, dnssecOK: true,
                                                          options: [EDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
        let decoded = try DNSMessage(decoding: message.encoded())
        #expect(decoded == message)
    }

    @Test("names are compressed against earlier names")
    func compression() throws {
        let message = DNSMessage(
            id: 1, questions: [Question(name: Self.name, type: .a)],
            answers: Array(repeating: ResourceRecord(name: Self.name, ttl: 30, data: .a(IPv4Address(1, 2, 3, 4))), count: 3))
        let bytes = message.encoded()
        // Header 12 + question (31 + 4) + 3 × (pointer 2 + 10 + 4).
        #expect(bytes.count == 12 + 35 + 3 * 16)
        #expect(try DNSMessage(decoding: bytes) == message)
    }

    @Test("name text parsing and printing", arguments: [
        ("web.default.svc.cluster.local", "web.default.svc.cluster.local."),
        (".", "."),
        ("a\\.b.c.", "a\\.b.c."),
        ("\\065b.", "Ab."),
    ])
    func nameText(_ pair: (String, String)) {
        #expect(DNSName(pair.0)?.description == pair.1)
    }

    @Test("invalid names are rejected", arguments: ["a..b", String(repeating: "a", count: 64) + ".com",
                                                     Array(repeating: "abcdefghi", count: 30).joined(separator: ".")])
    func badNames(_ text: String) { #expect(DNSName(text) == nil) }

    @Test("case-insensitive comparison")
    func caseInsensitive() {
        #expect(DNSName("WeB.Default.SVC.cluster.local")!.equalsIgnoringCase(Self.name))
        #expect(Self.name.isSubdomain(of: DNSName("CLUSTER.local")!))
        #expect(!Self.name.isSubdomain(of: DNSName("ster.local")!))
    }

    static func header(id: UInt16 = 0x1234, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, UInt8(qd >> 8), UInt8(qd & 0xff), UInt8(an >> 8), UInt8(an & 0xff),
         UInt8(ns >> 8), UInt8(ns & 0xff), UInt8(ar >> 8), UInt8(ar & 0xff)]
    }

    static let malformed: [(String, [UInt8])] = [
        ("truncated name", header() + [3, 119, 101]),
        ("truncated type", header() + [3, 119, 101, 98, 0, 0]),
        ("pointer to itself", header() + [0xC0, 12, 0, 1, 0, 1]),
        ("forward pointer", header() + [0xC0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("pointer loop", header() + [1, 97, 0xC0, 12, 0, 1, 0, 1]),
        ("pointer past end", header() + [0xC3, 0xFF, 0, 1, 0, 1]),
        ("reserved label type", header() + [0x40, 0, 0, 1, 0, 1]),
        ("huge counts", header(an: 0xFFFF, ns: 0xFFFF, ar: 0xFFFF) + [0, 0, 1, 0, 1]),
        ("no question", header(qd: 0)),
        ("two questions", header(qd: 2) + [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]),
        ("trailing bytes", header() + [0, 0, 1, 0, 1, 9, 9]),
        ("OPT truncated", header(ar: 1) + [0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 9]),
        ("two OPTs", header(ar: 2) + [0, 0, 1, 0, 1] + [0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]),
        ("label too long for name", header() + Array(repeating: [63] + Array(repeating: 97, count: 63), count: 5).flatMap { $0 } + [0, 0, 1, 0, 1]),
    ]

    @Test("malformed queries get FORMERR and never trap", arguments: malformed)
    func malformedQueries(_ input: (String, [UInt8])) throws {
        guard case .reply(let bytes) = Request.parse(input.1) else {
            Issue.record("\(input.0): expected a reply")
            return
        }
        let reply = try DNSMessage(decoding: bytes)
        #expect(reply.id == 0x1234, "\(input.0)")
        #expect(reply.rcode == .formatError, "\(input.0)")
        if input.0 != "no question" && input.0 != "two questions" {
            #expect(throws: DNSDecodeError.self, "\(input.0)") { try DNSMessage(decoding: input.1) }
        }
    }

    @Test("short packets and responses are dropped")
    func dropped() {
        guard case .drop = Request.parse([1, 2, 3]) else { Issue.record("short packet not dropped"); return }
        var response = Self.header() + [0, 0, 1, 0, 1]
        response[2] = 0x81
        guard case .drop = Request.parse(response) else { Issue.record("response not dropped"); return }
    }

    @Test("random bytes and mutated queries never trap")
    func fuzz() {
        var rng = SplitMix(seed: 42)
        let valid = DNSMessage.query(id: 9, name: Self.name, type: .srv, edns: EDNS()).encoded()
        let answer = DNSMessage(id: 1, questions: [Question(name: Self.name, type: .a)], answers: Self.records).encoded()
        for round in 0..<20000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0: bytes = (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1:
                bytes = valid
                for _ in 0..<(1 + rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            default:
                bytes = Array(answer.prefix(Int(rng.next() % UInt64(answer.count + 1))))
                if !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next()) }
            }
            _ = Request.parse(bytes)
            _ = try? DNSMessage(decoding: bytes)
        }
        #expect(Bool(true), "survived 20000 malformed inputs")
    }
}

/// A small deterministic generator for fuzzing.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("EDNS, truncation, opcodes")
struct TransportRuleTests {
    static let zone: DNSZone = {
        var objects = Fixture.objects
        let endpoints = (1...60).map { Fixture.endpoint("10.250.0.\($0)") }
        objects.append(.service(Service(namespace: "default", name: "big", isHeadless: true)))
        objects.append(Fixture.slice("default", "big-1", service: "big", endpoints: endpoints,
                                     ports: [EndpointPort(name: "http", port: 80)]))
        var store = ClusterStore()
        store.apply(objects.map(ClusterEvent.added))
        return DNSZone(snapshot: store.snapshot, options: DNSZoneOptions(serial: 1))
    }()

    @Test("60 headless addresses: 512-byte UDP gets TC with what fits; EDNS 1232 gets all; TCP gets all")
    func truncation() throws {
        let plain = try ask(Self.zone, "big.default.svc.cluster.local.", .a)
        #expect(plain.flags.truncated)
        #expect(plain.size <= 512)
        #expect(plain.answers.count == 29)
        let edns = try ask(Self.zone, "big.default.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 1232))
        #expect(!edns.flags.truncated)
        #expect(edns.answers.count == 60)
        let tcp = try ask(Self.zone, "big.default.svc.cluster.local.", .a, maxSize: 65535)
        #expect(!tcp.flags.truncated && tcp.answers.count == 60)
    }

    @Test("SRV with many additional records: additional dropped first without TC when answers fit")
    func truncateAdditional() throws {
        let reply = try ask(Self.zone, "_http._tcp.big.default.svc.cluster.local.", .srv, edns: EDNS(udpPayloadSize: 4096))
        #expect(reply.answers.count == 60)
        #expect(reply.answers.first?.contains("SRV 0 1 80 10-250-0-1.big.default.svc.cluster.local.") == true)
        #expect(!reply.flags.truncated)
        #expect(reply.additional.count > 0 && reply.additional.count < 60)
        #expect(reply.size <= 4096)
        let tcp = try ask(Self.zone, "_http._tcp.big.default.svc.cluster.local.", .srv, maxSize: 65535)
        #expect(tcp.answers.count == 60 && tcp.additional.count == 60)
        let small = try ask(Self.zone, "_http._tcp.big.default.svc.cluster.local.", .srv)
        #expect(small.flags.truncated)
        #expect(small.size <= 512)
    }

    @Test("EDNS: OPT echoed with the client's size and DO bit")
    func ednsEcho() throws {
        let reply = try ask(Self.zone, "web.default.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 1400, dnssecOK: true))
        #expect(reply.edns == EDNS(udpPayloadSize: 1400, dnssecOK: true))
        let small = try ask(Self.zone, "web.default.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 100))
        #expect(small.edns?.udpPayloadSize == 512)
        #expect(small.edns?.dnssecOK == false)
    }

    @Test("EDNS version 1 gets BADVERS with OPT version 0 and no question")
    func badVersion() throws {
        let reply = try ask(Self.zone, "web.default.svc.cluster.local.", .a, edns: EDNS(version: 1))
        #expect(reply.rcode == .badVersion)
        #expect(reply.edns?.version == 0)
        #expect(reply.questions.isEmpty)
    }

    @Test("unsupported opcodes get NOTIMP", arguments: [Opcode.status, .notify, .update])
    func notImplemented(_ opcode: Opcode) throws {
        var query = DNSMessage.query(id: 5, name: DNSName("cluster.local")!, type: .soa)
        query.flags.opcode = opcode
        guard case .reply(let bytes) = Request.parse(query.encoded()) else { Issue.record("no reply"); return }
        let reply = try DNSMessage(decoding: bytes)
        #expect(reply.rcode == .notImplemented)
        #expect(reply.flags.opcode == opcode)
    }

    @Test("RD is copied, RA stays clear, AA set in zone")
    func flags() throws {
        let reply = try ask(Self.zone, "web.default.svc.cluster.local.", .a)
        #expect(reply.flags.recursionDesired && !reply.flags.recursionAvailable && reply.flags.authoritative)
    }
}
