import SwitchyardDNS
import SwitchyardModel
import Testing

/// One DNS case in zone-file text, as CoreDNS's handler tests write them.
struct Case: CustomStringConvertible, Sendable {
    var name: String
    var type: RecordType
    var rcode: ResponseCode = .noError
    var answers: [String] = []
    var additional: [String] = []
    /// The SOA owner expected in authority (NXDOMAIN/NODATA); nil means an empty authority section.
    var soa: String?

    var description: String { "\(name) \(type)" }
}

let soaCluster = "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30"
let soaInAddr = "in-addr.arpa. 30 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 1 7200 1800 86400 30"

func nodata(_ name: String, _ type: RecordType, soa: String = soaCluster) -> Case {
    Case(name: name, type: type, soa: soa)
}

func nxdomain(_ name: String, _ type: RecordType = .a, soa: String = soaCluster) -> Case {
    Case(name: name, type: type, rcode: .nameError, soa: soa)
}

func check(_ zone: DNSZone, _ c: Case) throws {
    let reply = try ask(zone, c.name, c.type)
    #expect(reply.rcode == c.rcode, "\(c): rcode")
    #expect(reply.answers == c.answers, "\(c): answers")
    #expect(reply.additional == c.additional, "\(c): additional")
    #expect(reply.authority == (c.soa.map { [$0] } ?? []), "\(c): authority")
    #expect(reply.flags.isResponse)
    #expect(!reply.flags.recursionAvailable, "\(c): RA must be clear")
    #expect(reply.flags.authoritative == (c.rcode != .refused && c.rcode != .serverFailure), "\(c): AA")
    #expect(reply.questions.first?.name.description == c.name, "\(c): question echoed")
}

let serviceCases: [Case] = [
    // ClusterIP A/AAAA by family, even without endpoints.
    Case(name: "web.default.svc.cluster.local.", type: .a, answers: ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
    nodata("web.default.svc.cluster.local.", .aaaa),
    Case(name: "WeB.DeFaUlT.sVc.cLuStEr.LoCaL.", type: .a, answers: ["WeB.DeFaUlT.sVc.cLuStEr.LoCaL. 30 IN A 10.96.0.20"]),
    Case(name: "dual.default.svc.cluster.local.", type: .a, answers: ["dual.default.svc.cluster.local. 30 IN A 10.96.0.30"]),
    Case(name: "dual.default.svc.cluster.local.", type: .aaaa, answers: ["dual.default.svc.cluster.local. 30 IN AAAA fd00::30"]),
    Case(name: "empty.default.svc.cluster.local.", type: .a, answers: ["empty.default.svc.cluster.local. 30 IN A 10.96.0.40"]),
    // SRV: ClusterIP ports, weight ⌊100/N⌋, additional addresses.
    Case(name: "_http._tcp.web.default.svc.cluster.local.", type: .srv,
         answers: ["_http._tcp.web.default.svc.cluster.local. 30 IN SRV 0 100 80 web.default.svc.cluster.local."],
         additional: ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
    Case(name: "web.default.svc.cluster.local.", type: .srv,
         answers: ["web.default.svc.cluster.local. 30 IN SRV 0 50 80 web.default.svc.cluster.local.",
                   "web.default.svc.cluster.local. 30 IN SRV 0 50 443 web.default.svc.cluster.local."],
         additional: ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
    Case(name: "_http._tcp.dual.default.svc.cluster.local.", type: .srv,
         answers: ["_http._tcp.dual.default.svc.cluster.local. 30 IN SRV 0 50 80 dual.default.svc.cluster.local."],
         additional: ["dual.default.svc.cluster.local. 30 IN A 10.96.0.30", "dual.default.svc.cluster.local. 30 IN AAAA fd00::30"]),
    Case(name: "_dns._udp.kube-dns.kube-system.svc.cluster.local.", type: .srv,
         answers: ["_dns._udp.kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local."],
         additional: ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"]),
    Case(name: "kube-dns.kube-system.svc.cluster.local.", type: .srv,
         answers: ["kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 33 53 kube-dns.kube-system.svc.cluster.local.",
                   "kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 33 9153 kube-dns.kube-system.svc.cluster.local."],
         additional: ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"]),
    Case(name: "_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.", type: .srv,
         // As CoreDNS's handler_case_test: the target's zone part echoes the query's case.
         answers: ["_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL. 30 IN SRV 0 100 80 svc1.testns.svc.cLuStEr.LoCaL."],
         additional: ["svc1.testns.svc.cLuStEr.LoCaL. 30 IN A 10.96.1.1"]),
    nxdomain("_dns._tcp.kube-dns.kube-system.svc.cluster.local.", .srv),
    nxdomain("_nope._tcp.web.default.svc.cluster.local.", .srv),
    nodata("_http._tcp.web.default.svc.cluster.local.", .a),
    // Endpoint names under a ClusterIP Service: ready endpoints only.
    Case(name: "10-244-1-5.web.default.svc.cluster.local.", type: .a,
         answers: ["10-244-1-5.web.default.svc.cluster.local. 30 IN A 10.244.1.5"]),
    nxdomain("10-244-2-6.web.default.svc.cluster.local."),
    // Headless: ready endpoints, hostnames, SRV per endpoint × slice port.
    Case(name: "db.default.svc.cluster.local.", type: .a,
         answers: ["db.default.svc.cluster.local. 30 IN A 10.244.1.10", "db.default.svc.cluster.local. 30 IN A 10.244.2.11"]),
    nodata("db.default.svc.cluster.local.", .aaaa),
    Case(name: "db-0.db.default.svc.cluster.local.", type: .a,
         answers: ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.10"]),
    nxdomain("db-2.db.default.svc.cluster.local."),
    nxdomain("10-244-1-10.db.default.svc.cluster.local."),
    Case(name: "_mysql._tcp.db.default.svc.cluster.local.", type: .srv,
         answers: ["_mysql._tcp.db.default.svc.cluster.local. 30 IN SRV 0 50 3306 db-0.db.default.svc.cluster.local.",
                   "_mysql._tcp.db.default.svc.cluster.local. 30 IN SRV 0 50 3306 db-1.db.default.svc.cluster.local."],
         additional: ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.10", "db-1.db.default.svc.cluster.local. 30 IN A 10.244.2.11"]),
    Case(name: "db.default.svc.cluster.local.", type: .srv,
         answers: ["db.default.svc.cluster.local. 30 IN SRV 0 50 3306 db-0.db.default.svc.cluster.local.",
                   "db.default.svc.cluster.local. 30 IN SRV 0 50 3306 db-1.db.default.svc.cluster.local."],
         additional: ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.10", "db-1.db.default.svc.cluster.local. 30 IN A 10.244.2.11"]),
    nxdomain("nothing.default.svc.cluster.local."),
    Case(name: "nr.default.svc.cluster.local.", type: .a, answers: ["nr.default.svc.cluster.local. 30 IN A 10.244.4.1"]),
    Case(name: "noports.default.svc.cluster.local.", type: .a,
         answers: ["noports.default.svc.cluster.local. 30 IN A 10.244.5.1"]),
    nodata("noports.default.svc.cluster.local.", .srv),
    Case(name: "h6.default.svc.cluster.local.", type: .aaaa,
         answers: ["h6.default.svc.cluster.local. 30 IN AAAA fd00::1:5", "h6.default.svc.cluster.local. 30 IN AAAA fd00::1:6"]),
    Case(name: "fd00--1-5.h6.default.svc.cluster.local.", type: .aaaa,
         answers: ["fd00--1-5.h6.default.svc.cluster.local. 30 IN AAAA fd00::1:5"]),
    Case(name: "named.h6.default.svc.cluster.local.", type: .aaaa,
         answers: ["named.h6.default.svc.cluster.local. 30 IN AAAA fd00::1:6"]),
    // ExternalName.
    Case(name: "ext.default.svc.cluster.local.", type: .cname,
         answers: ["ext.default.svc.cluster.local. 30 IN CNAME example.com."]),
    nodata("ext.default.svc.cluster.local.", .srv),
    // CoreDNS: a named port's SRV of an ExternalName Service is NOERROR without records.
    nodata("_http._tcp.ext.default.svc.cluster.local.", .srv),
    nxdomain("_http.ext.default.svc.cluster.local.", .srv),
    nxdomain("_http._tcp.nope.default.svc.cluster.local.", .srv),
    nxdomain("x.ext.default.svc.cluster.local."),
    Case(name: "alias.default.svc.cluster.local.", type: .a,
         answers: ["alias.default.svc.cluster.local. 30 IN CNAME web.default.svc.cluster.local.",
                   "web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
    nxdomain("ipext.default.svc.cluster.local."),
]

let reverseCases: [Case] = [
    Case(name: "20.0.96.10.in-addr.arpa.", type: .ptr, answers: ["20.0.96.10.in-addr.arpa. 30 IN PTR web.default.svc.cluster.local."]),
    Case(name: "10.0.96.10.in-addr.arpa.", type: .ptr,
         answers: ["10.0.96.10.in-addr.arpa. 30 IN PTR kube-dns.kube-system.svc.cluster.local."]),
    Case(name: "5.1.244.10.in-addr.arpa.", type: .ptr,
         answers: ["5.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-5.web.default.svc.cluster.local."]),
    Case(name: "10.1.244.10.in-addr.arpa.", type: .ptr,
         answers: ["10.1.244.10.in-addr.arpa. 30 IN PTR db-0.db.default.svc.cluster.local."]),
    Case(name: "0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", type: .ptr,
         answers: ["0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 30 IN PTR dual.default.svc.cluster.local."]),
    Case(name: "5.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", type: .ptr,
         answers: ["5.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 30 IN PTR fd00--1-5.h6.default.svc.cluster.local."]),
    nodata("20.0.96.10.in-addr.arpa.", .a, soa: soaInAddr),
    nxdomain("9.9.9.9.in-addr.arpa.", .ptr, soa: soaInAddr),
]

let podCases: [Case] = [
    Case(name: "10-244-1-5.default.pod.cluster.local.", type: .a,
         answers: ["10-244-1-5.default.pod.cluster.local. 30 IN A 10.244.1.5"]),
    Case(name: "1-2-3-4.default.pod.cluster.local.", type: .a, answers: ["1-2-3-4.default.pod.cluster.local. 30 IN A 1.2.3.4"]),
    Case(name: "fd00--5.default.pod.cluster.local.", type: .aaaa, answers: ["fd00--5.default.pod.cluster.local. 30 IN AAAA fd00::5"]),
    nodata("1-2-3-4.default.pod.cluster.local.", .aaaa),
    nxdomain("1-2-3-4.nope.pod.cluster.local."),
    nxdomain("notanip.default.pod.cluster.local."),
    nxdomain("x.1-2-3-4.default.pod.cluster.local."),
    nodata("default.pod.cluster.local.", .a),
]

let apexCases: [Case] = [
    Case(name: "dns-version.cluster.local.", type: .txt, answers: ["dns-version.cluster.local. 28800 IN TXT \"1.1.0\""]),
    nxdomain("dns-version.cluster.local.", .a).with { $0.rcode = .noError },
    Case(name: "cluster.local.", type: .soa, answers: [soaCluster]),
    Case(name: "cluster.local.", type: .ns, answers: ["cluster.local. 30 IN NS ns.dns.cluster.local."]),
    nodata("cluster.local.", .a),
    nodata("cluster.local.", .srv),
    nodata("svc.cluster.local.", .a),
    nodata("pod.cluster.local.", .a),
    nodata("default.svc.cluster.local.", .a),
    nodata("testns.svc.cluster.local.", .srv),
    nxdomain("nonexistent.svc.cluster.local."),
    nxdomain("foo.cluster.local."),
    nxdomain("nope.default.svc.cluster.local."),
    nxdomain("a.b.c.web.default.svc.cluster.local."),
    nxdomain("x._http._tcp.web.default.svc.cluster.local.", .srv),
    nxdomain("*.default.svc.cluster.local."),
    nxdomain("any.default.svc.cluster.local."),
    nxdomain("*.*.svc.cluster.local.", .srv),
    nodata("web.default.svc.cluster.local.", .any),
    nodata("web.default.svc.cluster.local.", .mx),
    nodata("web.default.svc.cluster.local.", .txt),
    nodata("web.default.svc.cluster.local.", .soa),
    nodata("web.default.svc.cluster.local.", .ns),
]

extension Case {
    func with(_ change: (inout Case) -> Void) -> Case {
        var copy = self
        change(&copy)
        return copy
    }
}

@Suite("zone cases in zone-file text")
struct ZoneCaseTests {
    static let zone = Fixture.zone()

    @Test("services, endpoints, SRV, ExternalName", arguments: serviceCases)
    func services(_ c: Case) throws { try check(Self.zone, c) }

    @Test("PTR for ClusterIPs and endpoint IPs", arguments: reverseCases)
    func reverse(_ c: Case) throws { try check(Self.zone, c) }

    @Test("pods insecure (default)", arguments: podCases)
    func podsInsecure(_ c: Case) throws { try check(Self.zone, c) }

    @Test("apex, dns-version, NXDOMAIN vs NODATA, wildcards, too many labels", arguments: apexCases)
    func apex(_ c: Case) throws { try check(Self.zone, c) }

    @Test("pods verified answers only IPs of pods in that namespace", arguments: [
        Case(name: "10-244-1-5.default.pod.cluster.local.", type: .a,
             answers: ["10-244-1-5.default.pod.cluster.local. 30 IN A 10.244.1.5"]),
        nxdomain("1-2-3-4.default.pod.cluster.local."),
        nxdomain("10-244-1-5.testns.pod.cluster.local."),
    ])
    func podsVerified(_ c: Case) throws {
        try check(Fixture.zone(DNSZoneOptions(pods: .verified, serial: 1)), c)
    }

    @Test("pods disabled: every pod name is NXDOMAIN", arguments: [
        nxdomain("10-244-1-5.default.pod.cluster.local."),
        nxdomain("default.pod.cluster.local."),
        nodata("pod.cluster.local.", .a),
    ])
    func podsDisabled(_ c: Case) throws {
        try check(Fixture.zone(DNSZoneOptions(pods: .disabled, serial: 1)), c)
    }

    @Test("ignore empty service: ClusterIP without ready endpoints is NXDOMAIN, headless exempt", arguments: [
        nxdomain("empty.default.svc.cluster.local."),
        Case(name: "web.default.svc.cluster.local.", type: .a, answers: ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
        Case(name: "ext.default.svc.cluster.local.", type: .cname, answers: ["ext.default.svc.cluster.local. 30 IN CNAME example.com."]),
    ])
    func ignoreEmpty(_ c: Case) throws {
        try check(Fixture.zone(DNSZoneOptions(ignoreEmptyService: true, serial: 1)), c)
    }

    @Test("endpoint pod names replace dashed IPs but not hostnames", arguments: [
        Case(name: "web-1.web.default.svc.cluster.local.", type: .a, answers: ["web-1.web.default.svc.cluster.local. 30 IN A 10.244.1.5"]),
        nxdomain("10-244-1-5.web.default.svc.cluster.local."),
        Case(name: "db-0.db.default.svc.cluster.local.", type: .a, answers: ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.10"]),
        Case(name: "5.1.244.10.in-addr.arpa.", type: .ptr, answers: ["5.1.244.10.in-addr.arpa. 30 IN PTR web-1.web.default.svc.cluster.local."]),
    ])
    func endpointPodNames(_ c: Case) throws {
        try check(Fixture.zone(DNSZoneOptions(endpointPodNames: true, serial: 1)), c)
    }

    @Test("TTL option applies to records and the SOA minimum")
    func ttlOption() throws {
        let zone = Fixture.zone(DNSZoneOptions(ttl: 5, serial: 7))
        try check(zone, Case(name: "web.default.svc.cluster.local.", type: .a, answers: ["web.default.svc.cluster.local. 5 IN A 10.96.0.20"]))
        try check(zone, nxdomain("x.cluster.local.", soa: "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 7 7200 1800 86400 5"))
        #expect(throws: DNSZoneOptionsError.ttlOutOfRange(3601)) { try DNSZoneOptions(ttl: 3601).validated() }
    }

    @Test("several zones answer the same names")
    func severalZones() throws {
        let zone = Fixture.zone(DNSZoneOptions(zones: [DNSName("cluster.local")!, DNSName("Corp.Example")!], serial: 1))
        try check(zone, Case(name: "web.default.svc.corp.example.", type: .a, answers: ["web.default.svc.corp.example. 30 IN A 10.96.0.20"]))
        try check(zone, nxdomain("x.corp.example.", soa: "corp.example. 30 IN SOA ns.dns.corp.example. hostmaster.corp.example. 1 7200 1800 86400 30"))
        try check(zone, Case(name: "20.0.96.10.in-addr.arpa.", type: .ptr, answers: ["20.0.96.10.in-addr.arpa. 30 IN PTR web.default.svc.cluster.local."]))
    }

    @Test("NS glue and ns.dns addresses from nameserver addresses")
    func nameserverGlue() throws {
        let zone = Fixture.zone(DNSZoneOptions(serial: 1, nameserverAddresses: [Fixture.ip("10.96.0.10")]))
        try check(zone, Case(name: "cluster.local.", type: .ns, answers: ["cluster.local. 30 IN NS ns.dns.cluster.local."],
                             additional: ["ns.dns.cluster.local. 30 IN A 10.96.0.10"]))
        try check(zone, Case(name: "ns.dns.cluster.local.", type: .a, answers: ["ns.dns.cluster.local. 30 IN A 10.96.0.10"]))
    }

    @Test("AXFR, other classes and out-of-zone without upstream are REFUSED")
    func refused() throws {
        #expect(try ask(Self.zone, "cluster.local.", .axfr).rcode == .refused)
        #expect(try ask(Self.zone, "cluster.local.", .ixfr).rcode == .refused)
        #expect(try ask(Self.zone, "example.org.", .a).rcode == .refused)
        #expect(Resolver.resolve(Question(name: DNSName("example.org")!, type: .a), in: Self.zone).rcode == .refused)
        if case .forward = Resolver.resolve(Question(name: DNSName("example.org")!, type: .a), in: Self.zone) {} else {
            Issue.record("out-of-zone should resolve to .forward")
        }
    }

    @Test("before the first sync, missing names are SERVFAIL and the apex still answers")
    func notSynced() throws {
        let zone = DNSZone.notSynced(options: DNSZoneOptions(serial: 1))
        #expect(try ask(zone, "web.default.svc.cluster.local.", .a).rcode == .serverFailure)
        #expect(try ask(zone, "cluster.local.", .soa).answers == [soaCluster])
    }

    @Test("reverse fallthrough sends unknown PTRs upstream")
    func reverseFallthrough() throws {
        let zone = Fixture.zone(DNSZoneOptions(serial: 1, reverseFallthrough: true))
        let unknown = Resolver.resolve(Question(name: DNSName("9.9.9.9.in-addr.arpa.")!, type: .ptr), in: zone)
        if case .forward = unknown {} else { Issue.record("expected .forward, got \(unknown)") }
        try check(zone, reverseCases[0])
    }
}
