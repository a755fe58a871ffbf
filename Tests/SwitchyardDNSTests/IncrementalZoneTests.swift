import Testing
@testable import SwitchyardDNS
import SwitchyardModel
import Synchronization

@Suite("Incremental zone")
struct IncrementalZoneTests {
    /// Every name of a zone with its origin and encoded answers.
    static func contents(_ zone: DNSZone) -> [[UInt8]: [UInt8]] {
        var result: [[UInt8]: [UInt8]] = [:]
        for (name, node) in zone.nodes.allNodes() {
            result[name] = [node.origin] + Array(node.storage[node.blobStart..<node.blobEnd])
        }
        return result
    }

    /// The ExternalName target outside the cluster zones of every name that has one.
    static func externalTargets(_ zone: DNSZone) -> [[UInt8]: DNSName] {
        var result: [[UInt8]: DNSName] = [:]
        for (name, node) in zone.nodes.allNodes() { result[name] = zone.nodes.externalTarget(of: node) }
        return result
    }

    static func text(_ name: [UInt8]) -> String { DNSName(uncheckedWire: name).description }

    /// A random but reproducible cluster change: Services come and go (ClusterIP, headless, named
    /// ports, ExternalName outside the zone), endpoints move between shared addresses (reverse
    /// names with several owners), pods and namespaces appear and disappear.
    struct Churn {
        var state: UInt64
        var serial = 0

        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }

        mutating func service(_ index: Int) -> [ClusterEvent] {
            let ns = "ns\(index % 4)"
            let name = "svc\(index)"
            let kind = next(5)
            let service: Service
            switch kind {
            case 0: service = Service(namespace: ns, name: name, isHeadless: true, ports: [ServicePort(name: "p", port: 80)])
            case 1: service = Service(namespace: ns, name: name, type: .externalName, externalName: "example.com")
            default:
                service = Service(namespace: ns, name: name, clusterIPs: [Fixture.ip("10.96.0.\(index % 40 + 1)")],
                                  ports: [ServicePort(name: next(2) == 0 ? "http" : "", port: 80)])
            }
            var endpoints: [Endpoint] = []
            for _ in 0..<next(4) {
                // Few addresses, so Services share reverse names.
                endpoints.append(Fixture.endpoint("10.244.0.\(next(12) + 1)", ready: next(4) != 0,
                                                  hostname: next(3) == 0 ? "host\(next(3))" : nil, pod: "p\(next(9))", ns: ns))
            }
            let slice = EndpointSlice(namespace: ns, name: "\(name)-s", labels: [WellKnownLabel.serviceName: name],
                                      addressType: .ipv4, endpoints: endpoints, ports: [EndpointPort(name: "http", port: 8080)])
            return [.added(.service(service)), .added(.endpointSlice(slice))]
        }

        mutating func change(_ snapshot: ClusterSnapshot) -> [ClusterEvent] {
            let index = next(30)
            switch next(7) {
            case 0:
                guard let service = snapshot.services[ObjectKey(namespace: "ns\(index % 4)", name: "svc\(index)")] else { return service(index) }
                return [.deleted(.service(service))]
            case 1:
                let ns = "pns\(next(3))"
                let pod = Pod(namespace: ns, name: "pod\(next(4))", podIPs: [Fixture.ip("10.244.9.\(next(9) + 1)")])
                return snapshot.pods[pod.key] == nil ? [.added(.pod(pod))] : [.deleted(.pod(pod))]
            case 2:
                let namespace = Namespace(name: "ns\(next(6))")
                return snapshot.namespaces[namespace.name] == nil ? [.added(.namespace(namespace))] : [.deleted(.namespace(namespace))]
            case 3:
                // The endpoints alone change; the Service object stays as it is.
                return service(index).filter { if case .added(.endpointSlice) = $0 { true } else { false } }
            default:
                return service(index)
            }
        }
    }

    /// The zone options and compaction floor of a test: one shard folded seldom, or many small
    /// shards folded often.
    static func setup(sharded: Bool) -> (options: DNSZoneOptions, floor: Int) {
        var options = DNSZoneOptions()
        guard sharded else { return (options, 4096) }
        options.namesPerShard = 16
        return (options, 8)
    }

    @Test("after each of 300 random changes the incremental zone equals a full build, name by name",
          arguments: [1, 2, 3] as [UInt64], [false, true])
    func equivalence(seed: UInt64, sharded: Bool) {
        var churn = Churn(state: seed)
        var store = ClusterStore()
        for index in 0..<20 { store.apply(churn.service(index)) }
        let (options, floor) = Self.setup(sharded: sharded)
        var incremental = IncrementalZone(options: options, compactionFloor: floor)
        incremental.update(to: store.snapshot, changes: nil)
        var partial = 0, endpointsOnly = 0
        for step in 0..<300 {
            let before = store.snapshot
            let events = churn.change(before)
            if events.count == 1, case .added(.endpointSlice(let slice)) = events[0], let owner = slice.serviceKey,
               before.services[owner] != nil { endpointsOnly += 1 }
            store.apply(events)
            let zone = incremental.update(to: store.snapshot, changes: ZoneChanges(events: events, before: before))
            if !incremental.lastWasRebuild { partial += 1 }
            let full = DNSZone(snapshot: store.snapshot, options: options)
            let got = Self.contents(zone), want = Self.contents(full)
            if got != want {
                let missing = want.keys.filter { got[$0] == nil }.map(Self.text)
                let extra = got.keys.filter { want[$0] == nil }.map(Self.text)
                let differing = want.keys.filter { got[$0] != nil && got[$0] != want[$0] }.map(Self.text)
                let detail = want.keys.filter { got[$0] != nil && got[$0] != want[$0] }.prefix(1).map { "\(got[$0]!) vs \(want[$0]!)" }
                Issue.record("step \(step): missing \(missing), extra \(extra), differing \(differing) \(detail)")
                return
            }
            #expect(zone.nameCount == full.nameCount, "step \(step)")
        }
        #expect(partial > 250, "most changes are published without a rebuild (\(partial) of 300)")
        #expect(!sharded || incremental.zone.nodes.shards.count >= 8, "a zone of \(incremental.zone.nameCount) names in shards of ~16")
        #expect(endpointsOnly > 20, "changes of a Service's endpoints alone (only the reverse names whose PTRs changed)")
        #expect(incremental.reusedOverlays > 200, "publishes write into the overlay no query holds instead of copying one")
        #expect(incremental.indexedNeighbours > 20, "Services sharing a changed address make their PTRs from the index (\(incremental.indexedNeighbours))")
        #expect(incremental.endpointNamesOnly > 5, "moved endpoints of a Service with a ClusterIP publish those addresses' names alone (\(incremental.endpointNamesOnly))")
    }

    @Test("publishes that coalesce batches stay exact: a Service's slice deleted before it, a new one after it, endpoints moved")
    func coalescedBatches() {
        func service(_ name: String, _ ns: String, _ ip: String) -> Service {
            Service(namespace: ns, name: name, clusterIPs: [Fixture.ip(ip)], ports: [ServicePort(name: "http", port: 80)])
        }
        func slice(_ name: String, _ ns: String, _ addresses: [String]) -> EndpointSlice {
            EndpointSlice(namespace: ns, name: name + "-x1", labels: [WellKnownLabel.serviceName: name], addressType: .ipv4,
                          endpoints: addresses.map { Fixture.endpoint($0, ready: true, ns: ns) },
                          ports: [EndpointPort(name: "http", port: 8080)])
        }
        // As in the daemon benchmark: each Pod address backs two Services.
        var store = ClusterStore()
        var slices: [EndpointSlice] = []
        store.apply([.added(.namespace(Namespace(name: "ns-0"))), .added(.namespace(Namespace(name: "ns-1")))])
        for index in 0..<60 {
            let ns = "ns-\(index % 2)"
            slices.append(slice("svc-\(index)", ns, (0..<3).map { "10.128.0.\((index * 3 + $0) % 90 + 1)" }))
            store.apply([.added(.service(service("svc-\(index)", ns, "10.96.0.\(index + 10)"))), .added(.endpointSlice(slices[index]))])
        }
        var incremental = IncrementalZone(options: DNSZoneOptions())
        incremental.update(to: store.snapshot, changes: nil)
        var churn = Churn(state: 7)
        var pending = ZoneChanges()
        var added = 0, published = 0
        for step in 0..<300 {
            var batches: [[ClusterEvent]] = []
            if step % 2 == 0 {
                // An endpoint moves to another address (a Pod's, or one never seen).
                let index = churn.next(slices.count)
                var endpoints = slices[index].endpoints
                let address = churn.next(2) == 0 ? "10.128.0.\(churn.next(90) + 1)" : "10.200.\(step / 200).\(step % 200 + 1)"
                endpoints[churn.next(endpoints.count)] = Fixture.endpoint(address, ready: true, ns: slices[index].namespace)
                let old = slices[index]
                slices[index] = EndpointSlice(namespace: old.namespace, name: old.name, labels: old.labels, addressType: .ipv4,
                                              endpoints: endpoints, ports: old.ports)
                batches.append([.updated(.endpointSlice(slices[index]))])
            } else {
                // A Service replaced: the one made 10 replacements earlier goes, slice first.
                if added >= 10 {
                    let old = added - 10, ns = "ns-\(old % 2)"
                    batches.append([.deleted(.endpointSlice(slice("new-\(old)", ns, [])))])
                    batches.append([.deleted(.service(service("new-\(old)", ns, "10.110.0.\(old % 200 + 1)")))])
                }
                let ns = "ns-\(added % 2)"
                batches.append([.added(.service(service("new-\(added)", ns, "10.110.0.\(added % 200 + 1)")))])
                batches.append([.added(.endpointSlice(slice("new-\(added)", ns, (0..<3).map { "10.201.\(added % 200).\($0 + 1)" })))])
                added += 1
            }
            for batch in batches {
                let before = store.snapshot
                store.apply(batch)
                pending.formUnion(ZoneChanges(events: batch, before: before))
                // Publishes lag the batches by a random number of them, as a busy DNS side coalesces.
                guard churn.next(3) == 0 else { continue }
                let zone = incremental.update(to: store.snapshot, changes: pending)
                pending = ZoneChanges()
                published += 1
                let want = Self.contents(DNSZone(snapshot: store.snapshot, options: DNSZoneOptions()))
                let got = Self.contents(zone)
                guard got == want else {
                    let extra = got.keys.filter { want[$0] == nil }.map(Self.text)
                    let missing = want.keys.filter { got[$0] == nil }.map(Self.text)
                    Issue.record("step \(step): extra \(extra), missing \(missing)")
                    return
                }
            }
        }
        #expect(published > 100, "publishes of several batches at once (\(published))")
    }

    @Test("endpoint labels from addresses: every digit count of an octet, and IPv6", arguments: [
        ("10.0.100.255", "10-0-100-255"), ("1.22.3.44", "1-22-3-44"), ("0.0.0.0", "0-0-0-0"), ("fd00::1", "fd00--1"),
    ])
    func dashedLabels(address: String, label: String) throws {
        #expect(String(decoding: ZoneBuilder.dashed(try #require(IPAddress(address))), as: UTF8.self) == label)
    }

    @Test("reverse names from addresses: every digit count of an octet, and IPv6", arguments: [
        ("10.0.100.255", "255.100.0.10.in-addr.arpa."), ("1.22.3.44", "44.3.22.1.in-addr.arpa."),
        ("0.0.0.0", "0.0.0.0.in-addr.arpa."),
        ("fd00::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."),
    ])
    func reverseNames(address: String, name: String) throws {
        #expect(Self.text(ZoneBuilder.reverseName(try #require(IPAddress(address)))) == name)
    }

    @Test("a zone a query still holds keeps its answers while later zones are published", arguments: [false, true])
    func heldZonesDoNotChange(sharded: Bool) {
        var churn = Churn(state: 11)
        var store = ClusterStore()
        for index in 0..<20 { store.apply(churn.service(index)) }
        let (options, floor) = Self.setup(sharded: sharded)
        var incremental = IncrementalZone(options: options, compactionFloor: floor)
        incremental.update(to: store.snapshot, changes: nil)
        var held: [(zone: DNSZone, contents: [[UInt8]: [UInt8]])] = []
        for step in 0..<60 {
            let before = store.snapshot
            let events = churn.change(before)
            store.apply(events)
            let zone = incremental.update(to: store.snapshot, changes: ZoneChanges(events: events, before: before))
            // Every third zone stays held, as by a query in flight; the others are let go.
            if step % 3 == 0 { held.append((zone, Self.contents(zone))) }
        }
        #expect(held.count == 20)
        for (index, entry) in held.enumerated() {
            #expect(Self.contents(entry.zone) == entry.contents, "held zone \(index) changed under its holder")
        }
        #expect(incremental.reusedOverlays > 0)
    }

    @Test("a live zone folds its overlays into new bases shard by shard without a rebuild, publishes every change, and stays exact",
          arguments: [false, true])
    func liveZoneCompacts(sharded: Bool) throws {
        var churn = Churn(state: 7)
        var store = ClusterStore()
        for index in 0..<20 { store.apply(churn.service(index)) }
        let published = Mutex<[DNSZone]>([])
        var (options, _) = Self.setup(sharded: sharded)
        options.namesPerShard = sharded ? 16 : 1 << 20
        let live = LiveZone(
            zone: IncrementalZone(options: options, compactionFloor: 8),
            publish: { zone in published.withLock { $0.append(zone) } })
        #expect(live.update(to: store.snapshot, changes: nil).rebuilt)
        var compactions = 0, othersCarried = 0, foldedBefore = false
        for _ in 0..<200 {
            let before = store.snapshot
            let events = churn.change(before)
            store.apply(events)
            let publication = live.update(to: store.snapshot, changes: ZoneChanges(events: events, before: before))
            // The daemon returns a fold's replaced bases to the kernel at the publish that lets them go.
            #expect((publication.releasedFoldedBytes > 0) == (foldedBefore && !publication.rebuilt))
            foldedBefore = publication.compacted
            if publication.compacted {
                compactions += 1
                #expect(!publication.rebuilt)
                let shards = publication.zone.nodes.shards
                #expect(shards.contains { $0.overlay.isEmpty }, "the folded shard starts a new overlay")
                if shards.contains(where: { !$0.overlay.isEmpty }) { othersCarried += 1 }
                #expect(sharded || shards.count == 1)
                let full = DNSZone(snapshot: store.snapshot, options: options)
                #expect(Self.contents(publication.zone) == Self.contents(full))
                #expect(Self.externalTargets(publication.zone) == Self.externalTargets(full))
                #expect(!Self.externalTargets(full).isEmpty, "the churn makes ExternalName Services")
            }
        }
        #expect(compactions > 0, "the overlay passed its floor of 8 names")
        #expect(!sharded || othersCarried > 0, "a fold leaves the other shards' overlays as they are")
        let last = try #require(published.withLock { $0.last })
        #expect(Self.contents(last) == Self.contents(DNSZone(snapshot: store.snapshot, options: DNSZoneOptions())))
        #expect(published.withLock { $0.count } == 201, "every change was published")
    }

    @Test("shards fold at shares from a sixteenth to an eighth of their base, so that they do not fold together")
    func staggeredFoldShares() throws {
        var store = ClusterStore()
        var churn = Churn(state: 3)
        for index in 0..<40 { store.apply(churn.service(index)) }
        let base = try #require(DNSZone(snapshot: store.snapshot, options: DNSZoneOptions()).nodes.shards.first?.base)
        let shares = (0..<16).map { ZoneShard.foldShare(of: base, at: $0, of: 16) }
        #expect(shares.first?.bytes == base.storage.count / 16)
        #expect(shares.first?.names == base.count / 16)
        #expect(zip(shares, shares.dropFirst()).allSatisfy { $0.bytes < $1.bytes }, "each shard's share differs: \(shares)")
        let last = try #require(shares.last)
        #expect(last.bytes <= base.storage.count / 8 && last.bytes >= base.storage.count * 31 / 256)
    }

    @Test("an ExternalName inside the cluster zone makes updates rebuild, and stay exact")
    func inZoneExternalName() {
        var store = ClusterStore()
        store.apply(Fixture.objects.map(ClusterEvent.added))
        var incremental = IncrementalZone(options: DNSZoneOptions())
        incremental.update(to: store.snapshot, changes: nil)
        let before = store.snapshot
        let events: [ClusterEvent] = [.updated(.service(Service(
            namespace: "default", name: "web", clusterIPs: [Fixture.ip("10.96.0.21")], ports: [ServicePort(name: "http", port: 80)])))]
        store.apply(events)
        let zone = incremental.update(to: store.snapshot, changes: ZoneChanges(events: events, before: before))
        #expect(incremental.lastWasRebuild, "the alias to web.default chases web's records")
        #expect(Self.contents(zone) == Self.contents(DNSZone(snapshot: store.snapshot, options: DNSZoneOptions())))
    }
}
