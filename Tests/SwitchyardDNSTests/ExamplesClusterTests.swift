import Foundation
import SwitchyardDNS
import SwitchyardModel
import SwitchyardSources
import Testing

/// The repository's examples/cluster, loaded as `switchyard dns examples/cluster` loads it.
enum ExamplesCluster {
    static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/cluster").path
    }

    static func zone(_ options: DNSZoneOptions = DNSZoneOptions(serial: 1)) throws -> DNSZone {
        var store = ClusterStore()
        store.apply(try ManifestLoader().load(paths: [path]).map(ClusterEvent.added))
        return DNSZone(snapshot: store.snapshot, options: options)
    }
}

let exampleCases: [Case] = [
    // The "done when" names.
    Case(name: "web.default.svc.cluster.local.", type: .a, answers: ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
    Case(name: "_dns._udp.kube-dns.kube-system.svc.cluster.local.", type: .srv,
         answers: ["_dns._udp.kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local."],
         additional: ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"]),
    Case(name: "db-0.db.default.svc.cluster.local.", type: .a, answers: ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.0.50"]),
    Case(name: "10.0.96.10.in-addr.arpa.", type: .ptr,
         answers: ["10.0.96.10.in-addr.arpa. 30 IN PTR kube-dns.kube-system.svc.cluster.local."]),
    Case(name: "search.default.svc.cluster.local.", type: .cname,
         answers: ["search.default.svc.cluster.local. 30 IN CNAME search.example.com."]),
    // The rest of the cluster.
    Case(name: "kubernetes.default.svc.cluster.local.", type: .a, answers: ["kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1"]),
    Case(name: "kube-dns.kube-system.svc.cluster.local.", type: .srv,
         answers: ["kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 33 53 kube-dns.kube-system.svc.cluster.local.",
                   "kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 33 9153 kube-dns.kube-system.svc.cluster.local."],
         additional: ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"]),
    Case(name: "10-244-0-10.web.default.svc.cluster.local.", type: .a,
         answers: ["10-244-0-10.web.default.svc.cluster.local. 30 IN A 10.244.0.10"]),
    nxdomain("10-244-0-13.web.default.svc.cluster.local."),  // terminating: not ready
    Case(name: "db.default.svc.cluster.local.", type: .a,
         answers: ["db.default.svc.cluster.local. 30 IN A 10.244.0.50", "db.default.svc.cluster.local. 30 IN A 10.244.0.51"]),
    Case(name: "_postgres._tcp.db.default.svc.cluster.local.", type: .srv,
         answers: ["_postgres._tcp.db.default.svc.cluster.local. 30 IN SRV 0 50 5432 db-0.db.default.svc.cluster.local.",
                   "_postgres._tcp.db.default.svc.cluster.local. 30 IN SRV 0 50 5432 db-1.db.default.svc.cluster.local."],
         additional: ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.0.50", "db-1.db.default.svc.cluster.local. 30 IN A 10.244.0.51"]),
    Case(name: "api.default.svc.cluster.local.", type: .aaaa, answers: ["api.default.svc.cluster.local. 30 IN AAAA fd00:10:96::70"]),
    Case(name: "api.default.svc.cluster.local.", type: .srv,
         answers: ["api.default.svc.cluster.local. 30 IN SRV 0 50 80 api.default.svc.cluster.local."],
         additional: ["api.default.svc.cluster.local. 30 IN A 10.96.0.70", "api.default.svc.cluster.local. 30 IN AAAA fd00:10:96::70"]),
    nodata("web.default.svc.cluster.local.", .aaaa),
    Case(name: "100.50.168.192.in-addr.arpa.", type: .ptr,
         answers: ["100.50.168.192.in-addr.arpa. 30 IN PTR 192-168-50-100.legacy.default.svc.cluster.local."]),
    Case(name: "50.0.244.10.in-addr.arpa.", type: .ptr, answers: ["50.0.244.10.in-addr.arpa. 30 IN PTR db-0.db.default.svc.cluster.local."]),
    Case(name: "0.7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.", type: .ptr,
         answers: ["0.7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa. 30 IN PTR api.default.svc.cluster.local."]),
    Case(name: "10-244-0-50.default.pod.cluster.local.", type: .a,
         answers: ["10-244-0-50.default.pod.cluster.local. 30 IN A 10.244.0.50"]),
    nodata("kube-system.svc.cluster.local.", .a),
    nxdomain("nope.default.svc.cluster.local."),
    nxdomain("_http._udp.web.default.svc.cluster.local.", .srv),
]

@Suite("examples/cluster")
struct ExamplesClusterTests {
    /// Loaded once for all cases.
    static let loaded = Result { try ExamplesCluster.zone() }

    @Test("every record rule over the example cluster", arguments: exampleCases)
    func cases(_ c: Case) throws {
        try check(try Self.loaded.get(), c)
    }

    @Test("pods verified: only IPs of Pods in the namespace")
    func verified() throws {
        let zone = try ExamplesCluster.zone(DNSZoneOptions(pods: .verified, serial: 1))
        try check(zone, Case(name: "10-244-0-50.default.pod.cluster.local.", type: .a,
                             answers: ["10-244-0-50.default.pod.cluster.local. 30 IN A 10.244.0.50"]))
        try check(zone, nxdomain("10-244-9-9.default.pod.cluster.local."))
    }
}
