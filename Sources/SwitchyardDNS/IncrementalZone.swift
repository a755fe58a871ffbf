import SwitchyardModel

/// What changed in the cluster since the previous zone, as DNS sees it. Node changes never matter.
public struct ZoneChanges: Sendable, Hashable {
    /// Services whose object or EndpointSlices changed.
    public var services: Set<ObjectKey> = []
    /// Pods added, changed or deleted (they decide which `<ns>.pod` names exist).
    public var pods: Set<ObjectKey> = []
    /// Namespace objects added, changed or deleted.
    public var namespaces: Set<String> = []

    public init() {}

    /// The changes a batch of events makes; `before` is the snapshot the batch applies to (it says
    /// which Service a re-labelled or deleted EndpointSlice belonged to, and which events repeat
    /// what it already holds: a source need not filter those).
    public init(events: some Sequence<ClusterEvent>, before: ClusterSnapshot) {
        for event in events {
            switch event {
            case .added(let object), .updated(let object):
                guard before.object(object.kind, object.key) != object else { continue }
                switch object {
                case .service(let service): services.insert(service.key)
                case .endpointSlice(let slice):
                    if let owner = slice.serviceKey { services.insert(owner) }
                    if let owner = before.endpointSliceOwners[slice.key] { services.insert(owner) }
                case .pod(let pod): pods.insert(pod.key)
                case .namespace(let namespace): namespaces.insert(namespace.name)
                case .node, .serviceCIDR: break
                }
            case .deleted(let kind, let key):
                switch kind {
                case .service: services.insert(key)
                case .endpointSlice: if let owner = before.endpointSliceOwners[key] { services.insert(owner) }
                case .pod: pods.insert(key)
                case .namespace: namespaces.insert(key.name)
                case .node, .serviceCIDR: break
                }
            }
        }
    }

    public var isEmpty: Bool { services.isEmpty && pods.isEmpty && namespaces.isEmpty }

    /// Adds `other`'s changes (changes not yet published accumulate).
    public mutating func formUnion(_ other: ZoneChanges) {
        services.formUnion(other.services)
        pods.formUnion(other.pods)
        namespaces.formUnion(other.namespaces)
    }
}

/// The served zone kept up to date change by change, as CoreDNS answers from informer indexes: a
/// change to one Service re-encodes only the names that Service makes (plus the reverse names it
/// shares with Services holding the same addresses) into the zone's overlay, and publishes a new
/// zone that shares everything else with the previous one. What a partial update cannot see — pods
/// `verified` (per-namespace pod addresses), ExternalName chains inside the cluster zones, a very
/// large change — rebuilds the whole zone. A shard's overlay grown past a fraction of its base is
/// folded into a new base for that shard by copying its live nodes, not by a rebuild.
///
/// Equivalence with a full build is tested name by name after random changes.
public struct IncrementalZone: Sendable {
    public let options: DNSZoneOptions
    /// The zone for the latest snapshot.
    public private(set) var zone: DNSZone
    /// Whether the latest publish rebuilt the zone whole (for logs and tests).
    public private(set) var lastWasRebuild = true
    /// Whether the latest publish folded a shard's overlay into a new base (for logs and tests).
    public private(set) var lastWasCompaction = false
    /// The heap bytes of the bases the fold before the latest publish replaced, which that publish
    /// let go (a shard's arena and slots, 1-2 MB each at 10,000 Services): now free in the heap.
    public private(set) var lastReleasedFoldedBytes = 0
    private var snapshot: ClusterSnapshot?
    /// The zone published before ``zone`` and the overlay writes ``zone`` has that it lacks: once no
    /// query holds it, its overlay is brought up to date and written into for the next zone, so a
    /// publish never copies an overlay (two copies alternate, as in a left-right map).
    private var previous: DNSZone?
    private var previousLag: [OverlayWrite] = []
    /// The shards ``zone`` folded into new bases: the previous zone takes them whole.
    private var previousFolded: [Int] = []
    /// The heap bytes of the bases those folds replaced (``lastReleasedFoldedBytes`` at the next publish).
    private var previousFoldedBytes = 0
    /// Publishes that wrote into the previous zone's overlay instead of copying one (tests).
    private(set) var reusedOverlays = 0
    /// Changed Services whose endpoint addresses alone changed for DNS, published as those
    /// addresses' names instead of the Service's whole part (tests).
    private(set) var endpointNamesOnly = 0
    /// Neighbours whose PTRs were made from the contributor index, without reading their endpoints (tests).
    private(set) var indexedNeighbours = 0
    /// Services by the addresses whose reverse names they contribute to.
    private var contributors = ReverseContributors()
    private var servicesPerNamespace: [String: Int] = [:]
    private var podsPerNamespace: [String: Int] = [:]
    /// ExternalName Services whose target is inside a cluster zone.
    private var inZoneExternalNames: Set<ObjectKey> = []
    /// A rebuild has not made the indexes above yet (see ``buildIndexesIfPending()``).
    private var indexesPending = false

    /// Beyond this many changed Services a rebuild is cheaper than partial builds.
    static let largeChange = 2000
    /// Overlays up to this many names over the whole zone (or a sixteenth to an eighth of their
    /// shard's base, `ZoneShard.foldShare`) are carried, not folded in.
    var compactionFloor = 4096

    public init(options: DNSZoneOptions) {
        self.init(options: options, compactionFloor: 4096)
    }

    init(options: DNSZoneOptions, compactionFloor: Int) {
        self.options = options
        self.compactionFloor = compactionFloor
        zone = DNSZone.notSynced(options: options)
    }

    /// Publishes `snapshot`: incrementally from the previous one when `changes` says what changed,
    /// a full rebuild when `changes` is nil or a partial update cannot be exact.
    /// A shard's overlay grown past its limit is folded into a new base on the way (a copy of that
    /// shard's arena: ``lastWasCompaction``).
    @discardableResult
    public mutating func update(to snapshot: ClusterSnapshot, changes: ZoneChanges?) -> DNSZone {
        buildIndexesIfPending()
        lastWasCompaction = false
        lastReleasedFoldedBytes = 0
        guard let changes, let old = self.snapshot, options.pods != .verified, inZoneExternalNames.isEmpty,
              changes.services.count <= Self.largeChange else { return rebuild(snapshot) }
        let builder = ZoneBuilder(options: options)
        var touchedNamespaces = changes.namespaces
        var addresses: Set<IPAddress> = []
        var oldServices: [Service] = []
        var part: [ObjectKey: Service] = [:]
        // Services whose endpoint addresses alone changed, with those addresses (gained or lost).
        var endpointNames: [(service: Service, addresses: Set<IPAddress>)] = []
        for key in changes.services {
            let before = old.services[key], after = snapshot.services[key]
            if let service = after, before == service,
               let change = builder.endpointAddressChanges(of: service, before: old, after: snapshot) {
                // One forward name per zone and one reverse name per address gained or lost, not the
                // Service's whole part (perf, churn at 10,000 × 100: rebuilding and comparing a
                // 100-endpoint Service's names, old and new, for one moved endpoint).
                for address in change.lost { contributors.remove(key, from: address) }
                for address in change.gained { contributors.add(key, to: address, dashedEndpoint: true) }
                let moved = change.gained.union(change.lost)
                addresses.formUnion(moved)
                if !moved.isEmpty { endpointNames.append((service, moved)) }
                endpointNamesOnly += 1
                continue
            }
            // Only the endpoints changed: only the reverse names whose PTRs from it changed.
            let endpointsOnly = before != nil && before == after
            if endpointsOnly, let after {
                addresses.formUnion(builder.changedReverseAddresses(of: after, before: old, after: snapshot))
            }
            if let service = before {
                oldServices.append(service)
                let previous = builder.reverseContributions(of: service, in: old).keys
                if !endpointsOnly { addresses.formUnion(previous) }
                for address in previous { contributors.remove(key, from: address) }
                if after == nil { contributors.forget(key) }
                servicesPerNamespace[key.namespace, default: 0] -= 1
                touchedNamespaces.insert(key.namespace)
            }
            if let service = after {
                if builder.chasesInZone(service) {
                    inZoneExternalNames.insert(key)
                    return rebuild(snapshot)
                }
                part[key] = service
                let current = builder.reverseContributions(of: service, in: snapshot)
                if !endpointsOnly { addresses.formUnion(current.keys) }
                for (address, dashed) in current { contributors.add(key, to: address, dashedEndpoint: dashed) }
                servicesPerNamespace[key.namespace, default: 0] += 1
                touchedNamespaces.insert(key.namespace)
            }
        }
        // Every other contributor of the reverse names involved, so those names are rebuilt whole.
        // Those whose contributions there are all dashed endpoints' PTRs are made from the index
        // alone, with the addresses listed here; the others read their endpoints.
        var neighbours: [ObjectKey: Service] = [:]
        var dashedNeighbours: [ObjectKey: [IPAddress]] = [:]
        var readNeighbours: Set<ObjectKey> = []
        for address in addresses {
            for (key, dashed) in contributors.services(at: address) where part[key] == nil {
                neighbours[key] = snapshot.services[key]
                if dashed { dashedNeighbours[key, default: []].append(address) } else { readNeighbours.insert(key) }
            }
        }
        for key in readNeighbours { dashedNeighbours[key] = nil }
        indexedNeighbours += dashedNeighbours.count
        for key in changes.pods {
            let before = old.pods[key] != nil, after = snapshot.pods[key] != nil
            if before != after {
                podsPerNamespace[key.namespace, default: 0] += after ? 1 : -1
                touchedNamespaces.insert(key.namespace)
            }
        }
        let existing = touchedNamespaces.filter {
            snapshot.namespaces[$0] != nil || servicesPerNamespace[$0, default: 0] > 0 || podsPerNamespace[$0, default: 0] > 0
        }

        var newBuilder = ZoneBuilder(options: options)
        // The neighbours' reverse names for other addresses have contributors outside the part: they
        // did not change, so they are left as they are.
        let reverseNames = Set(addresses.map { NameKey(ZoneBuilder.reverseName($0)) })
        let forwardZones = options.zones.count
        let newNames = newBuilder.buildPart(
            snapshot: snapshot, services: Array(part.values), neighbours: Array(neighbours.values), sharedAddresses: addresses,
            dashedNeighbours: dashedNeighbours, endpointNames: endpointNames, namespaces: Array(existing),
            keep: { name, origin in origin < forwardZones || reverseNames.contains(NameKey(name)) })
        var oldBuilder = ZoneBuilder(options: options)
        var oldNames = oldBuilder.partNames(snapshot: old, services: oldServices, endpointNames: endpointNames,
                                            namespaces: Array(touchedNamespaces))
        // The reverse names of the addresses endpoint-only changes moved: no Service of the old part
        // lists them, and every contributor of theirs is in the new part, so one it no longer makes
        // is gone.
        for (_, moved) in endpointNames {
            for address in moved { oldNames.append(builder.reverseNameAndOrigin(of: address)) }
        }
        var index = nextIndex()
        var writes: [OverlayWrite] = []
        let kept = Set(newNames.map { NameKey($0.name) })
        // Reverse names outside `addresses` were not rebuilt (their PTRs did not change): they stay.
        for name in oldNames where (name.origin < forwardZones || reverseNames.contains(NameKey(name.name))) && !kept.contains(NameKey(name.name)) {
            if let write = index.set(name.name, origin: name.origin, blob: nil, externalTarget: nil) { writes.append(write) }
        }
        for name in newNames {
            if let write = index.set(name.name, origin: name.origin, blob: name.blob, externalTarget: name.externalTarget) {
                writes.append(write)
            }
        }
        self.snapshot = snapshot
        // The names are the same, so the indexes above stay true; the previous zone takes a folded
        // shard as it is when it is next written into (its overlay there no longer applies).
        let folded = index.foldOverfullShards(among: writes.lazy.map(\.shard), floor: compactionFloor)
        lastWasCompaction = !folded.isEmpty
        // The bases replaced are the published zone's: the previous zone keeps them until it takes
        // the folded shards at the next publish.
        previousFoldedBytes = folded.reduce(0) { $0 + zone.nodes.shards[$1].base.heapBytes }
        previous = zone
        previousLag = writes
        previousFolded = folded
        let serial = options.serial ?? UInt32(truncatingIfNeeded: snapshot.generation)
        zone = DNSZone(options: options, isSynced: true, serial: serial, nodes: index, podIPs: [:])
        lastWasRebuild = false
        return zone
    }

    /// The index the next zone starts from: the previous zone's, brought up to date, when nothing
    /// else holds that zone any more (its overlay is then written in place); otherwise the current
    /// zone's (its overlay is copied on the first write: a query still held the previous zone).
    private mutating func nextIndex() -> ZoneIndex {
        let lag = previousLag, folded = previousFolded
        previousLag = []
        previousFolded = []
        lastReleasedFoldedBytes = previousFoldedBytes
        previousFoldedBytes = 0
        guard var spare = previous.take(), isKnownUniquelyReferenced(&spare) else { return zone.nodes }
        var index = Self.nodes(of: consume spare)
        for shard in folded { index.adopt(shard: shard, from: zone.nodes) }
        for write in lag where !folded.contains(write.shard) { index.replay(write, from: zone.nodes) }
        reusedOverlays += 1
        return index
    }

    /// A zone's index, the zone itself released (so the index's overlay is referenced once).
    private static func nodes(of zone: consuming DNSZone) -> ZoneIndex { zone.nodes }

    /// Builds the whole zone from `snapshot`; the indexes that let later changes be partial follow
    /// in ``buildIndexesIfPending()`` (at the latest before the next update), so a caller can
    /// publish the zone first: at 10,000 Services the indexes take a tenth of the build's time, and
    /// the first zone is what DNS waits for after the lists.
    @discardableResult
    public mutating func rebuild(_ snapshot: ClusterSnapshot) -> DNSZone {
        // The zone first and its build's drafts freed, then the indexes: built while the drafts
        // were alive, the index's 100k small arrays sat between them and kept 40-60 MB of freed
        // pages from going back to the kernel (measured).
        contributors.removeAll()
        previous = nil
        previousLag = []
        previousFolded = []
        previousFoldedBytes = 0
        zone = DNSZone(snapshot: snapshot, options: options)
        self.snapshot = snapshot
        lastWasRebuild = true
        indexesPending = true
        return zone
    }

    /// Makes the indexes of the latest rebuild, if it left them to be made.
    public mutating func buildIndexesIfPending() {
        guard indexesPending, let snapshot else { return }
        indexesPending = false
        let builder = ZoneBuilder(options: options)
        servicesPerNamespace = [:]
        podsPerNamespace = [:]
        inZoneExternalNames = []
        for (key, service) in snapshot.services {
            servicesPerNamespace[key.namespace, default: 0] += 1
            if builder.chasesInZone(service) { inZoneExternalNames.insert(key) }
            for (address, dashed) in builder.reverseContributions(of: service, in: snapshot) {
                contributors.add(key, to: address, dashedEndpoint: dashed)
            }
        }
        for key in snapshot.pods.keys { podsPerNamespace[key.namespace, default: 0] += 1 }
    }
}
