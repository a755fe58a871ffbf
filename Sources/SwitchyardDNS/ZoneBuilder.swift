import SwitchyardModel

/// What a build produces; `DNSZone` wraps it.
struct BuiltZone {
    var options: DNSZoneOptions
    var serial: UInt32
    var nodes: ZoneIndex
    var podIPs: [String: Set<IPAddress>]
}

/// Turns a snapshot into zone nodes. Records are first collected as values per name and type, then
/// each (name, type) is encoded once into its wire template.
struct ZoneBuilder {
    let options: DNSZoneOptions
    private let ttl: UInt32
    private var drafts = DraftMap()
    /// The endpoints' names, outside the drafts (see ``AddressNames``).
    private var addressNames = AddressNames()
    /// The reverse zones' names, outside the drafts (see ``ReverseNames``).
    private var reverseNames = ReverseNames()

    /// Records of one name while building.
    struct Draft {
        var origin: Int
        var entries: [(type: RecordType, answers: [ResourceRecord], additional: [ResourceRecord])] = []
        var cnameTarget: DNSName?

        init(origin: Int) { self.origin = origin }

        /// Adds records, each once. The answers of one name share their owner, so records are told
        /// apart by their data first: comparing whole records compared the owner's bytes every time
        /// (perf, first sync at 10,000 × 100: 2.4% of all samples in this `contains`, a reverse name
        /// there gathering the PTRs of ~20 Services one by one).
        mutating func add(_ type: RecordType, _ answers: [ResourceRecord], additional: [ResourceRecord] = []) {
            if let i = entries.firstIndex(where: { $0.type == type }) {
                for rr in answers where !entries[i].answers.contains(where: { $0.data == rr.data && $0 == rr }) {
                    entries[i].answers.append(rr)
                }
                for rr in additional where !entries[i].additional.contains(where: { $0.data == rr.data && $0 == rr }) {
                    entries[i].additional.append(rr)
                }
            } else {
                entries.append((type, answers, additional))
            }
        }

        func records(_ type: RecordType) -> [ResourceRecord]? {
            entries.first { $0.type == type }?.answers
        }
    }

    init(options: DNSZoneOptions) {
        self.options = options
        self.ttl = options.ttl
    }

    // MARK: - Names

    /// A lowercased label from text; nil when it cannot be one label.
    private static func label(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= DNSLimits.maxLabelLength, !bytes.contains(UInt8(ascii: ".")) else {
            return nil
        }
        return DNSName.lowercase(bytes)
    }

    /// Labels followed by a wire suffix; nil when too long.
    private static func name(_ labels: [[UInt8]], _ suffix: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(suffix.count + labels.reduce(0) { $0 + $1.count + 1 })
        for l in labels {
            out.append(UInt8(l.count))
            out.append(contentsOf: l)
        }
        out.append(contentsOf: suffix)
        return out.count <= DNSLimits.maxNameLength ? out : nil
    }

    private static let svcLabel = Array("svc".utf8)
    private static let podLabel = Array("pod".utf8)

    /// `d.c.b.a.in-addr.arpa.` or the ip6.arpa nibble name, lowercased wire.
    static func reverseName(_ ip: IPAddress) -> [UInt8] {
        var out: [UInt8] = []
        switch ip {
        case .v4(let a):
            // Digits straight from the octets, one allocation (perf at 10,000 × 100: formatting
            // each octet as a String was 9% of the DNS partial updates).
            let arpa = DNSZone.inAddrArpa.wire
            out.reserveCapacity(16 + arpa.count)
            for shift in stride(from: 0, through: 24, by: 8) {
                let octet = UInt8(truncatingIfNeeded: a.value >> shift)
                out.append(octet >= 100 ? 3 : octet >= 10 ? 2 : 1)
                if octet >= 100 { out.append(UInt8(ascii: "0") + octet / 100) }
                if octet >= 10 { out.append(UInt8(ascii: "0") + octet / 10 % 10) }
                out.append(UInt8(ascii: "0") + octet % 10)
            }
            out.append(contentsOf: arpa)
        case .v6(let a):
            let hex = Array("0123456789abcdef".utf8)
            for byte in a.bytes.reversed() {
                out.append(1); out.append(hex[Int(byte & 0x0f)])
                out.append(1); out.append(hex[Int(byte >> 4)])
            }
            out.append(contentsOf: DNSZone.ip6Arpa.wire)
        }
        return out
    }

    /// The address as a label: `10-1-2-3`, or the compressed IPv6 text with `:` as `-` (`fd00--1`).
    static func dashed(_ ip: IPAddress) -> [UInt8] {
        switch ip {
        case .v4(let v4):
            // Digits straight from the octets (perf: String formatting and Character mapping were
            // most of listing a Service's endpoints).
            var label: [UInt8] = []
            label.reserveCapacity(15)
            for (index, octet) in v4.bytes.enumerated() {
                if index > 0 { label.append(UInt8(ascii: "-")) }
                if octet >= 100 { label.append(UInt8(ascii: "0") + octet / 100) }
                if octet >= 10 { label.append(UInt8(ascii: "0") + octet / 10 % 10) }
                label.append(UInt8(ascii: "0") + octet % 10)
            }
            return label
        case .v6:
            return ip.description.utf8.map { $0 == UInt8(ascii: ":") ? UInt8(ascii: "-") : $0 }
        }
    }

    private func addressRecord(_ owner: [UInt8], _ ip: IPAddress) -> ResourceRecord {
        switch ip {
        case .v4(let a): ResourceRecord(name: DNSName(uncheckedWire: owner), ttl: ttl, data: .a(a))
        case .v6(let a): ResourceRecord(name: DNSName(uncheckedWire: owner), ttl: ttl, data: .aaaa(a))
        }
    }

    /// Makes sure the name exists (possibly without data).
    private mutating func touch(_ name: [UInt8], origin: Int) {
        drafts.touch(name, default: Draft(origin: origin))
    }

    private mutating func add(
        _ name: [UInt8], origin: Int, _ type: RecordType, _ answers: [ResourceRecord],
        additional: [ResourceRecord] = []
    ) {
        drafts.update(name, default: Draft(origin: origin)) { $0.add(type, answers, additional: additional) }
    }

    /// The A and the AAAA records of `owner` for `ips`, in their order.
    private func addressRecords(_ owner: [UInt8], _ ips: some Sequence<IPAddress>) -> (v4: [ResourceRecord], v6: [ResourceRecord]) {
        (ips.filter { $0.family == .ipv4 }.map { addressRecord(owner, $0) },
         ips.filter { $0.family == .ipv6 }.map { addressRecord(owner, $0) })
    }

    private mutating func addAddresses(_ name: [UInt8], origin: Int, _ ips: [IPAddress]) {
        let (v4, v6) = addressRecords(name, ips)
        touch(name, origin: origin)
        if !v4.isEmpty { add(name, origin: origin, .a, v4) }
        if !v6.isEmpty { add(name, origin: origin, .aaaa, v6) }
    }

    /// One SRV candidate before weighting and deduplication.
    private struct SRVEntry {
        var target: [UInt8]
        var port: Int
        var address: IPAddress
    }

    /// SRV answers with weight ⌊100/N⌋ (min 1) over all N entries, deduplicated on (target, port),
    /// plus the targets' addresses deduplicated on (target, address).
    private func srv(_ entries: [SRVEntry]) -> (answers: [ResourceRecord], additional: [ResourceRecord]) {
        let weight = UInt16(max(1, 100 / max(1, entries.count)))
        var answers: [ResourceRecord] = []
        var additional: [ResourceRecord] = []
        var seenSRV = Set<NameKey>()
        var seenAddress = Set<NameKey>()
        for e in entries {
            let port = UInt16(clamping: e.port)
            if seenSRV.insert(NameKey(e.target + [UInt8(port >> 8), UInt8(port & 0xff)])).inserted {
                answers.append(ResourceRecord(
                    name: .root, ttl: ttl,
                    data: .srv(priority: 0, weight: weight, port: port, target: DNSName(uncheckedWire: e.target))))
            }
            if seenAddress.insert(NameKey(e.target + e.address.bytes)).inserted {
                additional.append(addressRecord(e.target, e.address))
            }
        }
        return (answers, additional)
    }

    private mutating func addSRV(_ name: [UInt8], origin: Int, _ entries: [SRVEntry]) {
        guard !entries.isEmpty else { return }
        var (answers, additional) = srv(entries)
        for i in answers.indices { answers[i].name = DNSName(uncheckedWire: name) }
        add(name, origin: origin, .srv, answers, additional: additional)
    }

    // MARK: - Building

    /// One selected endpoint address with its DNS name label and the ports of its slice.
    private struct EndpointAddress {
        var label: [UInt8]
        var address: IPAddress
        var ports: [EndpointPort]
    }

    /// How an endpoint is named: after its address (`10-1-2-3`), or by a label of its own.
    enum EndpointLabel: Equatable {
        case dashed
        case named([UInt8])
    }

    /// An endpoint's label without making the dashed address; nil when its hostname (or pod name)
    /// is not a valid label (it then has no name and no PTR).
    private func labelKind(_ endpoint: Endpoint) -> EndpointLabel? {
        if let hostname = endpoint.hostname, !hostname.isEmpty { return Self.label(hostname).map(EndpointLabel.named) }
        if options.endpointPodNames, let ref = endpoint.targetRef, ref.kind == "Pod", ref.name.utf8.count < 64 {
            return Self.label(ref.name).map(EndpointLabel.named)
        }
        return .dashed
    }

    private func endpointLabel(_ endpoint: Endpoint, _ address: IPAddress) -> [UInt8]? {
        switch labelKind(endpoint) {
        case .named(let label): label
        case .dashed: DNSName.lowercase(Self.dashed(address))
        case nil: nil
        }
    }

    /// The endpoint addresses DNS publishes for a Service, with their labels; with `only`, those
    /// among these addresses alone.
    private func endpoints(of service: Service, in snapshot: ClusterSnapshot, all: Bool, only: Set<IPAddress>? = nil) -> [EndpointAddress] {
        var result: [EndpointAddress] = []
        // A neighbour shares one or two addresses with the change: compared one by one, not hashed
        // for each of its endpoints (perf, churn at 10,000 × 100: ~2,000 neighbours' endpoints per
        // endpoint change, this function 3.5% of the daemon's samples).
        let few = only.flatMap { $0.count <= 8 ? Array($0) : nil }
        forEachSelected(of: service, in: snapshot, all: all) { slice, endpoint, address in
            if let few {
                if !few.contains(address) { return }
            } else if let only, !only.contains(address) {
                return
            }
            guard let label = endpointLabel(endpoint, address) else { return }
            result.append(EndpointAddress(label: label, address: address, ports: slice.ports))
        }
        return result
    }

    /// Each address DNS publishes for a Service's endpoints (all of them, or the ready ones), with
    /// its slice and endpoint.
    private func forEachSelected(of service: Service, in snapshot: ClusterSnapshot, all: Bool,
                                 _ body: (EndpointSlice, Endpoint, IPAddress) -> Void) {
        for slice in snapshot.endpointSlices(of: service.key) where slice.addressType != .fqdn {
            for endpoint in slice.endpoints where all || endpoint.conditions.isReady {
                for address in endpoint.addresses { body(slice, endpoint, address) }
            }
        }
    }

    mutating func build(snapshot: ClusterSnapshot?) -> BuiltZone {
        let (serial, podIPs) = collect(snapshot: snapshot)
        let zones = options.zones.map(\.wire)
        resolveCNAMEs(zones: zones)
        return BuiltZone(options: options, serial: serial, nodes: encode(zones: zones), podIPs: podIPs)
    }

    /// The records stored under forward zone `origin` (an index into `options.zones`), owner by owner
    /// in the order the build makes names, as a master file states them: each name's own records
    /// only. What a master file cannot say is left out — names that exist without records, the SRV
    /// targets' addresses in the additional section (their own names carry them), ExternalName chains
    /// (the CNAME alone is kept), pod names (answered from the query name) and the reverse zones.
    mutating func masterRecords(snapshot: ClusterSnapshot, origin: Int) -> [ResourceRecord] {
        _ = collect(snapshot: snapshot)
        var records: [ResourceRecord] = []
        for (name, draft) in zip(drafts.names, drafts.values) where draft.origin == origin {
            for entry in draft.entries {
                records += entry.answers.filter { $0.type == entry.type && $0.name.wire == name }
            }
        }
        addressNames.forEach { name, nameOrigin, addresses in
            guard nameOrigin == origin else { return }
            let (v4, v6) = addressRecords(Array(name), addresses)
            records += v4 + v6
        }
        return records
    }

    /// Fills the drafts with every name and record of the snapshot (the apex records alone for nil).
    private mutating func collect(snapshot: ClusterSnapshot?) -> (serial: UInt32, podIPs: [String: Set<IPAddress>]) {
        let serial = options.serial ?? UInt32(truncatingIfNeeded: snapshot?.generation ?? 0)
        let zones = options.zones.map(\.wire)
        for (origin, zone) in zones.enumerated() { addApex(zone, origin: origin, serial: serial) }
        var podIPs: [String: Set<IPAddress>] = [:]
        if let snapshot {
            var namespaces = Set(snapshot.namespaces.keys)
            let services = snapshot.services.values.sorted { $0.key < $1.key }
            for service in services {
                namespaces.insert(service.namespace)
                addService(service, snapshot: snapshot, zones: zones)
            }
            for pod in snapshot.pods.values {
                namespaces.insert(pod.namespace)
                if options.pods == .verified { podIPs[pod.namespace, default: []].formUnion(pod.podIPs) }
            }
            for namespace in namespaces.sorted() { touchNamespace(namespace, zones: zones) }
        }
        return (serial, podIPs)
    }

    private mutating func addApex(_ zone: [UInt8], origin: Int, serial: UInt32) {
        let zoneName = DNSName(uncheckedWire: zone)
        let soa = DNSZone.soaData(origin: zoneName, serial: serial, ttl: ttl)
        let nsName = soa.mname
        let glue = options.nameserverAddresses.map { addressRecord(nsName.wire, $0) }
        add(zone, origin: origin, .soa, [ResourceRecord(name: zoneName, ttl: min(ttl, 300), data: .soa(soa))])
        add(zone, origin: origin, .ns, [ResourceRecord(name: zoneName, ttl: ttl, data: .ns(nsName))], additional: glue)
        addAddresses(nsName.wire, origin: origin, options.nameserverAddresses)
        if let version = Self.name([Array("dns-version".utf8)], zone) {
            let txt = ResourceRecord(name: DNSName(uncheckedWire: version), ttl: 28800, data: .txt([Array("1.1.0".utf8)]))
            add(version, origin: origin, .txt, [txt])
        }
        if let n = Self.name([Self.svcLabel], zone) { touch(n, origin: origin) }
        if let n = Self.name([Self.podLabel], zone) { touch(n, origin: origin) }
    }

    /// Adds a Service's names; with `reverseOnly`, only its contributions to the reverse names of
    /// those addresses (the PTRs of its ClusterIPs and endpoints), which other Services may share.
    private mutating func addService(_ service: Service, snapshot: ClusterSnapshot, zones: [[UInt8]], reverseOnly: Set<IPAddress>? = nil) {
        guard let ns = Self.label(service.namespace), let svc = Self.label(service.name) else { return }
        let headless = service.isHeadless || (service.type != .externalName && service.clusterIPs.isEmpty)
        // A neighbour's endpoints are labelled for the shared addresses only (at 10,000 × 100 a
        // changed Service has ~2,000 neighbours of 100 endpoints each); whether it has any at all
        // still decides, as in a full build, whether it makes PTRs.
        let selected = endpoints(of: service, in: snapshot, all: service.publishNotReadyAddresses, only: reverseOnly)
        var hasSelected = !selected.isEmpty
        if !hasSelected, reverseOnly != nil {
            forEachSelected(of: service, in: snapshot, all: service.publishNotReadyAddresses) { _, endpoint, address in
                if !hasSelected, endpointLabel(endpoint, address) != nil { hasSelected = true }
            }
        }
        for (origin, zone) in zones.enumerated() {
            guard let base = Self.name([svc, ns, Self.svcLabel], zone) else { continue }
            if reverseOnly != nil {
                // The forward part below skips the PTRs in exactly these cases.
                let skipped = service.type == .externalName || (headless && !hasSelected)
                    || (!headless && options.ignoreEmptyService && !hasSelected)
                guard origin == 0, !skipped else { continue }
            } else if service.type == .externalName {
                guard let external = service.externalName, IPAddress(external) == nil,
                      let target = DNSName(external), target.labelCount > 0 else { continue }
                let cname = ResourceRecord(name: DNSName(uncheckedWire: base), ttl: ttl, data: .cname(target))
                drafts.update(base, default: Draft(origin: origin)) {
                    $0.add(.cname, [cname])
                    $0.cnameTarget = target
                }
                continue
            }
            // A neighbour (reverse only) makes no forward names: they are not part of what changed.
            if reverseOnly == nil {
                if headless {
                    guard !selected.isEmpty else { continue }
                    addAddresses(base, origin: origin, selected.map(\.address))
                    addEndpointNames(selected, base: base, origin: origin)
                    // SRV: one entry per (address × slice port), target the endpoint's name.
                    func entries(_ matches: (EndpointPort) -> Bool) -> [SRVEntry] {
                        selected.flatMap { ep -> [SRVEntry] in
                            guard let target = Self.name([ep.label], base) else { return [] }
                            return ep.ports.compactMap { p in
                                guard let port = p.port, matches(p) else { return nil }
                                return SRVEntry(target: target, port: port, address: ep.address)
                            }
                        }
                    }
                    addSRV(base, origin: origin, entries { _ in true })
                    var named: [(String, TransportProtocol)] = []
                    for ep in selected {
                        for p in ep.ports where !p.name.isEmpty && p.port != nil && !named.contains(where: { $0 == (p.name, p.protocol) }) {
                            named.append((p.name, p.protocol))
                        }
                    }
                    for (portName, proto) in named {
                        guard let n = portNode(portName, proto, base) else { continue }
                        addSRV(n, origin: origin, entries { $0.name == portName && $0.protocol == proto })
                    }
                } else {
                    if options.ignoreEmptyService && selected.isEmpty { continue }
                    addAddresses(base, origin: origin, service.clusterIPs)
                    addEndpointNames(selected, base: base, origin: origin)
                    func entries(_ matches: (ServicePort) -> Bool) -> [SRVEntry] {
                        service.clusterIPs.flatMap { ip in
                            service.ports.filter(matches).map { SRVEntry(target: base, port: $0.port, address: ip) }
                        }
                    }
                    addSRV(base, origin: origin, entries { _ in true })
                    for port in service.ports where !port.name.isEmpty {
                        guard let n = portNode(port.name, port.protocol, base) else { continue }
                        addSRV(n, origin: origin, entries { $0.name == port.name && $0.protocol == port.protocol })
                    }
                }
            }
            // PTRs live in the reverse zones and point at the primary zone's names.
            guard origin == 0 else { continue }
            if !headless {
                for ip in service.clusterIPs where reverseOnly?.contains(ip) ?? true {
                    reverseNames.addClusterIP(ip, target: base)
                }
            }
            for ep in selected where reverseOnly?.contains(ep.address) ?? true {
                reverseNames.addEndpoint(ep.address, label: ep.label, suffix: base)
            }
        }
    }

    /// What ``addService(_:snapshot:zones:reverseOnly:)`` adds for a neighbour whose contributions
    /// to the shared addresses are its ClusterIPs and dashed endpoints at `endpointAddresses` (so it
    /// has endpoints, and its PTRs exist): the same PTRs in the same order, without reading its
    /// endpoints (perf, churn at 10,000 × 100: ~40 neighbours of 100 endpoints each per moved
    /// endpoint, 5% of the daemon's samples).
    private mutating func addDashedPTRs(_ service: Service, zones: [[UInt8]], sharedAddresses: Set<IPAddress>, endpointAddresses: [IPAddress]) {
        guard service.type != .externalName, let ns = Self.label(service.namespace), let svc = Self.label(service.name),
              let zone = zones.first, let base = Self.name([svc, ns, Self.svcLabel], zone) else { return }
        if !(service.isHeadless || service.clusterIPs.isEmpty) {
            for ip in service.clusterIPs where sharedAddresses.contains(ip) { reverseNames.addClusterIP(ip, target: base) }
        }
        for address in endpointAddresses {
            _ = reverseNames.addEndpoint(address, label: DNSName.lowercase(Self.dashed(address)), suffix: base)
        }
    }

    private func portNode(_ portName: String, _ proto: TransportProtocol, _ base: [UInt8]) -> [UInt8]? {
        guard let port = Self.label("_" + portName), let p = Self.label("_" + proto.lowercased) else { return nil }
        return Self.name([port, p], base)
    }

    /// One name per distinct label under `base`, with its distinct addresses in the order met. These
    /// names have four labels below their zone, which no drafted name has (zones do not overlap:
    /// ``DNSZoneOptions/validated()``), so they go to ``addressNames`` and not the drafts.
    private mutating func addEndpointNames(_ selected: [EndpointAddress], base: [UInt8], origin: Int) {
        var slotOfLabel = HashedSlots(capacity: selected.count)
        var labels: [[UInt8]] = []
        var addresses: [[IPAddress]] = []
        for ep in selected {
            let hash = ep.label.withUnsafeBufferPointer { NodeTable.hash($0) }
            if let slot = slotOfLabel.find(hash: hash, where: { labels[$0] == ep.label }) {
                if !addresses[slot].contains(ep.address) { addresses[slot].append(ep.address) }
            } else {
                slotOfLabel.insert(labels.count, hash: hash)
                labels.append(ep.label)
                addresses.append([ep.address])
            }
        }
        for (label, addresses) in zip(labels, addresses) {
            _ = addressNames.add(label: label, suffix: base, origin: origin, addresses: addresses)
        }
    }

    /// ExternalName targets inside a cluster zone are chased now (at most 8 links, loops stop the
    /// chase): A/AAAA/TXT answers become the CNAME chain followed by the target's records.
    private mutating func resolveCNAMEs(zones: [[UInt8]]) {
        let external = drafts.values.indices.filter { drafts.values[$0].cnameTarget != nil }
        for index in external {
            let name = drafts.names[index]
            guard let target = drafts.values[index].cnameTarget else { continue }
            let lower = DNSName.lowercase(target.wire)
            guard zones.contains(where: { DNSZone.hasSuffix(lower, $0) }) else { continue }
            var chain = drafts.values[index].records(.cname) ?? []
            var current = lower
            var visited: Set<NameKey> = [NameKey(name)]
            var final: Draft?
            for _ in 0..<8 {
                guard visited.insert(NameKey(current)).inserted else { break }
                guard let next = drafts[current] else {
                    final = addressNamesDraft(current)
                    break
                }
                if let nextTarget = next.cnameTarget {
                    chain += next.records(.cname) ?? []
                    current = DNSName.lowercase(nextTarget.wire)
                } else {
                    final = next
                    break
                }
            }
            drafts.updateExisting(name) { draft in
                draft.cnameTarget = nil
                for type in [RecordType.a, .aaaa, .txt] { draft.add(type, chain + (final?.records(type) ?? [])) }
            }
        }
    }

    /// The records of an endpoint's name as a draft (for an ExternalName chased into one); nil when
    /// `name` is not an endpoint's name.
    private func addressNamesDraft(_ name: [UInt8]) -> Draft? {
        guard let addresses = addressNames.addresses(of: name) else { return nil }
        var draft = Draft(origin: 0)
        let (v4, v6) = addressRecords(name, addresses)
        if !v4.isEmpty { draft.add(.a, v4) }
        if !v6.isEmpty { draft.add(.aaaa, v6) }
        return draft
    }

    /// The zone's names in the shards of a ``ZoneIndex``, each table sized for its share of them.
    private func encode(zones: [[UInt8]]) -> ZoneIndex {
        let names = drafts.count + addressNames.count + reverseNames.count
        let count = ZoneIndex.shardCount(names: names, namesPerShard: options.namesPerShard)
        let bits = count.trailingZeroBitCount
        // A shard's share varies by about its square root: four of those spare, so that a table
        // seldom grows (growing doubles its slots).
        let share = names / count
        let spare = 4 * Int(Double(share).squareRoot()) + 16
        var tables = (0..<count).map { _ in NodeTable(capacity: share + spare) }
        func insert(_ name: UnsafeBufferPointer<UInt8>, _ origin: Int, _ blob: [UInt8], _ target: DNSName?) {
            let hash = NodeTable.hash(name)
            tables[ZoneIndex.shard(of: hash, bits: bits)].insert(name: name, hash: hash, origin: origin, blob: blob, externalTarget: target)
        }
        forEachEncoded(zones: zones) { name, origin, blob, target in
            name.withUnsafeBufferPointer { insert($0, origin, blob, target) }
        }
        forEachEncodedFlatName { name, origin, blob in insert(name, origin, blob, nil) }
        return ZoneIndex(shards: tables.map { table in
            var table = table
            table.shrinkToFit()
            return ZoneShard(base: table)
        })
    }

    /// The origin of an address's reverse name: the reverse zones follow the forward zones.
    private func reverseOrigin(of address: IPAddress) -> Int {
        options.zones.count + (address.family == .ipv4 ? 0 : 1)
    }

    /// Each name kept outside the drafts with its encoded answers: the endpoints' names, then the
    /// reverse names, each in the order they were made; with `keep`, only the names it keeps are
    /// encoded (a partial build keeps few of the reverse names it makes: perf, churn at 10,000 × 100,
    /// encoding them all was 3% of the daemon's samples).
    private func forEachEncodedFlatName(keep: (([UInt8], Int) -> Bool)? = nil,
                                        _ body: (UnsafeBufferPointer<UInt8>, Int, [UInt8]) -> Void) {
        var blob: [UInt8] = []
        addressNames.forEach { name, origin, addresses in
            if let keep, !keep(Array(name), origin) { return }
            blob.removeAll(keepingCapacity: true)
            AddressNames.encode(addresses, nameLength: name.count, ttl: ttl, into: &blob)
            body(name, origin, blob)
        }
        reverseNames.forEach { address, targets in
            let name = Self.reverseName(address)
            let origin = reverseOrigin(of: address)
            if let keep, !keep(name, origin) { return }
            blob.removeAll(keepingCapacity: true)
            let zone = address.family == .ipv4 ? DNSZone.inAddrArpa : DNSZone.ip6Arpa
            Answer.encodePTREntry(targets: targets, ttl: ttl, questionName: name, zoneLength: zone.wire.count, into: &blob)
            name.withUnsafeBufferPointer { body($0, origin, blob) }
        }
    }

    /// Each drafted name with its encoded answers, in the order names were first made (Services
    /// sorted by key), so the same snapshot gives the same arena byte for byte.
    private func forEachEncoded(zones: [[UInt8]], keep: ([UInt8], Int) -> Bool = { _, _ in true },
                                _ body: ([UInt8], Int, [UInt8], DNSName?) -> Void) {
        let origins = zones + [DNSZone.inAddrArpa.wire, DNSZone.ip6Arpa.wire]
        var blob: [UInt8] = []
        for (name, draft) in zip(drafts.names, drafts.values) where keep(name, draft.origin) {
            blob.removeAll(keepingCapacity: true)
            for entry in draft.entries {
                Answer.encodeEntry(
                    type: entry.type, answers: entry.answers, additional: entry.additional, questionName: name,
                    zoneLength: origins[draft.origin].count, into: &blob)
            }
            body(name, draft.origin, blob, draft.cnameTarget)
        }
    }

    /// One name of a partial build.
    struct EncodedName {
        var name: [UInt8]
        var origin: Int
        var blob: [UInt8]
        var externalTarget: DNSName?
    }

    /// The names a part of the cluster makes — the apex, `services` (any order; built in key order,
    /// as the full build does) and the namespace names of `namespaces` — encoded exactly as the full
    /// build encodes them, provided the part holds every contributor of each of its names (the
    /// incremental zone adds the Services sharing an address for the reverse names).
    /// `neighbours` contribute their reverse names of `sharedAddresses` only (the addresses they
    /// share with `services`). Only the names for which `keep(name, origin)` holds are encoded and
    /// returned.
    /// `endpointNames` contribute only the forward names of those endpoint addresses (see
    /// ``endpointAddressChanges(of:before:after:)``). A neighbour in `dashedNeighbours` contributes
    /// exactly its ClusterIP PTRs and the dashed endpoint PTRs of the addresses listed there (see
    /// ``reverseContributions(of:in:)``): its endpoints are not read.
    mutating func buildPart(snapshot: ClusterSnapshot, services: [Service], neighbours: [Service] = [],
                            sharedAddresses: Set<IPAddress> = [], dashedNeighbours: [ObjectKey: [IPAddress]] = [:],
                            endpointNames: [(service: Service, addresses: Set<IPAddress>)] = [],
                            namespaces: [String], keep: ([UInt8], Int) -> Bool = { _, _ in true }) -> [EncodedName] {
        let zones = collectPart(snapshot: snapshot, services: services, neighbours: neighbours, sharedAddresses: sharedAddresses,
                                dashedNeighbours: dashedNeighbours, endpointNames: endpointNames, namespaces: namespaces)
        resolveCNAMEs(zones: zones)
        var result: [EncodedName] = []
        result.reserveCapacity(drafts.count)
        forEachEncoded(zones: zones, keep: keep) { name, origin, blob, target in
            result.append(EncodedName(name: name, origin: origin, blob: blob, externalTarget: target))
        }
        withoutActuallyEscaping(keep) { keep in
            forEachEncodedFlatName(keep: keep) { name, origin, blob in
                result.append(EncodedName(name: Array(name), origin: origin, blob: blob, externalTarget: nil))
            }
        }
        return result
    }

    /// The names ``buildPart(snapshot:services:neighbours:sharedAddresses:dashedNeighbours:endpointNames:namespaces:keep:)`` makes for the same part,
    /// with their origins, unencoded: what a publish removes needs the names alone (perf: encoding
    /// the old part's records was half of the partial builds' `Answer.encodeEntry` time).
    mutating func partNames(snapshot: ClusterSnapshot, services: [Service], endpointNames: [(service: Service, addresses: Set<IPAddress>)] = [],
                            namespaces: [String]) -> [(name: [UInt8], origin: Int)] {
        _ = collectPart(snapshot: snapshot, services: services, neighbours: [], sharedAddresses: [], dashedNeighbours: [:],
                        endpointNames: endpointNames, namespaces: namespaces)
        var names = zip(drafts.names, drafts.values).map { ($0, $1.origin) }
        addressNames.forEach { name, origin, _ in names.append((Array(name), origin)) }
        reverseNames.forEach { address, _ in names.append((Self.reverseName(address), reverseOrigin(of: address))) }
        return names
    }

    /// Drafts the apex, `services`, the reverse names of `sharedAddresses` that `neighbours` make and
    /// the namespaces' names; returns the forward zones' wire names.
    private mutating func collectPart(snapshot: ClusterSnapshot, services: [Service], neighbours: [Service], sharedAddresses: Set<IPAddress>,
                                      dashedNeighbours: [ObjectKey: [IPAddress]], endpointNames: [(service: Service, addresses: Set<IPAddress>)],
                                      namespaces: [String]) -> [[UInt8]] {
        let serial = options.serial ?? UInt32(truncatingIfNeeded: snapshot.generation)
        let zones = options.zones.map(\.wire)
        for (origin, zone) in zones.enumerated() { addApex(zone, origin: origin, serial: serial) }
        let all = services.map { ($0, false) } + neighbours.map { ($0, true) }
        for (service, isNeighbour) in all.sorted(by: { $0.0.key < $1.0.key }) {
            if isNeighbour, let dashed = dashedNeighbours[service.key] {
                addDashedPTRs(service, zones: zones, sharedAddresses: sharedAddresses, endpointAddresses: dashed)
            } else {
                addService(service, snapshot: snapshot, zones: zones, reverseOnly: isNeighbour ? sharedAddresses : nil)
            }
        }
        for (service, addresses) in endpointNames {
            addEndpointNames(of: service, snapshot: snapshot, zones: zones, only: addresses)
        }
        for namespace in namespaces.sorted() { touchNamespace(namespace, zones: zones) }
        return zones
    }

    /// The names a namespace makes: `<ns>.svc.<zone>` (and `<ns>.pod.<zone>` with pod records).
    private mutating func touchNamespace(_ namespace: String, zones: [[UInt8]]) {
        guard let ns = Self.label(namespace) else { return }
        for (origin, zone) in zones.enumerated() {
            if let n = Self.name([ns, Self.svcLabel], zone) { touch(n, origin: origin) }
            if options.pods != .disabled, let n = Self.name([ns, Self.podLabel], zone) {
                touch(n, origin: origin)
            }
        }
    }

    /// The addresses whose reverse names a Service may contribute to — its ClusterIPs (non-headless)
    /// and its selected endpoints' addresses — each with whether it is an endpoint's address whose
    /// endpoints there are all named after it (dashed), whose PTRs a partial update can then make
    /// without reading the Service's endpoints again. The labels themselves are not made (perf:
    /// making the dashed addresses was most of this function's time). An endpoint whose label is
    /// invalid makes no PTR; listing its address anyway only rebuilds that reverse name from all its
    /// contributors (a superset).
    func reverseContributions(of service: Service, in snapshot: ClusterSnapshot) -> [IPAddress: Bool] {
        let headless = service.isHeadless || (service.type != .externalName && service.clusterIPs.isEmpty)
        if service.type == .externalName { return [:] }
        var result: [IPAddress: Bool] = [:]
        forEachSelected(of: service, in: snapshot, all: service.publishNotReadyAddresses) { _, endpoint, address in
            let dashed = labelKind(endpoint) == .dashed
            result[address] = (result[address] ?? true) && dashed
        }
        if !headless {
            for ip in service.clusterIPs where result[ip] == nil { result[ip] = false }
        }
        return result
    }

    /// The addresses whose PTRs from `service` differ between two snapshots when the Service object
    /// itself is the same in both (only its endpoints changed): an address gained, lost, or named
    /// differently. When the Service goes from no named endpoint to some (or back), whether it
    /// makes PTRs at all may change, so every address it has in either counts. At 10,000 × 100 an
    /// endpoint change then rebuilds one or two reverse names with their contributors instead of all
    /// 100 of the Service's (each shared by ~20 Services in the benchmark's cluster).
    func changedReverseAddresses(of service: Service, before: ClusterSnapshot, after: ClusterSnapshot) -> Set<IPAddress> {
        func labels(in snapshot: ClusterSnapshot) -> [IPAddress: [EndpointLabel]] {
            var result: [IPAddress: [EndpointLabel]] = [:]
            forEachSelected(of: service, in: snapshot, all: service.publishNotReadyAddresses) { _, endpoint, address in
                if let label = labelKind(endpoint) { result[address, default: []].append(label) }
            }
            return result
        }
        let old = labels(in: before), new = labels(in: after)
        if old.isEmpty != new.isEmpty {
            return Set(old.keys).union(new.keys).union(service.clusterIPs)
        }
        var changed: Set<IPAddress> = []
        for (address, labels) in old where new[address] != labels { changed.insert(address) }
        for address in new.keys where old[address] == nil { changed.insert(address) }
        return changed
    }

    /// The endpoint addresses a Service gained and lost between two snapshots when the Service
    /// object is the same in both and those addresses are all that changed for DNS: a Service with a
    /// ClusterIP (its own records do not list endpoints) whose endpoints are all named after their
    /// addresses, and which has endpoints in both or in neither (whether it has any decides, with
    /// `ignoreEmptyService`, whether its names and PTRs exist). Each address then changes its own
    /// name in each zone (`<dashed>.<svc>.<ns>.svc.<zone>`) and its reverse name, nothing else.
    /// nil when the change can reach other names (the Service's whole part is rebuilt instead).
    func endpointAddressChanges(of service: Service, before: ClusterSnapshot, after: ClusterSnapshot) -> (gained: Set<IPAddress>, lost: Set<IPAddress>)? {
        guard service.type != .externalName, !service.isHeadless, !service.clusterIPs.isEmpty else { return nil }
        func addresses(in snapshot: ClusterSnapshot) -> Set<IPAddress>? {
            var result: Set<IPAddress> = []
            var allDashed = true
            forEachSelected(of: service, in: snapshot, all: service.publishNotReadyAddresses) { _, endpoint, address in
                if labelKind(endpoint) != .dashed { allDashed = false }
                result.insert(address)
            }
            return allDashed ? result : nil
        }
        guard let old = addresses(in: before), let new = addresses(in: after), old.isEmpty == new.isEmpty else { return nil }
        let gained = new.subtracting(old), lost = old.subtracting(new)
        // An endpoint at the Service's own ClusterIP shares that reverse name's contribution.
        guard gained.isDisjoint(with: service.clusterIPs), lost.isDisjoint(with: service.clusterIPs) else { return nil }
        return (gained, lost)
    }

    /// The names of a Service's endpoints at `only` (those it has among them), in each zone.
    private mutating func addEndpointNames(of service: Service, snapshot: ClusterSnapshot, zones: [[UInt8]], only: Set<IPAddress>) {
        guard let ns = Self.label(service.namespace), let svc = Self.label(service.name) else { return }
        let selected = endpoints(of: service, in: snapshot, all: service.publishNotReadyAddresses, only: only)
        guard !selected.isEmpty else { return }
        for (origin, zone) in zones.enumerated() {
            guard let base = Self.name([svc, ns, Self.svcLabel], zone) else { continue }
            addEndpointNames(selected, base: base, origin: origin)
        }
    }

    /// An address's reverse name with its origin.
    func reverseNameAndOrigin(of address: IPAddress) -> (name: [UInt8], origin: Int) {
        (Self.reverseName(address), reverseOrigin(of: address))
    }

    /// Whether a Service is an ExternalName whose target lies inside a cluster zone (its answers
    /// chase the target's records, which a partial build cannot see).
    func chasesInZone(_ service: Service) -> Bool {
        guard service.type == .externalName, let external = service.externalName, let target = DNSName(external) else { return false }
        let lower = DNSName.lowercase(target.wire)
        return options.zones.contains { DNSZone.hasSuffix(lower, $0.wire) }
    }
}

/// A wire name as a hash key: its bytes hashed once with the node table's hash and one word
/// handed to the seeded Hasher, which costs a fraction of feeding it every byte (perf: Hasher over
/// name bytes was ~5% of a whole zone build).
struct NameKey: Hashable {
    let bytes: [UInt8]
    /// `NodeTable.hash` of the bytes, computed once.
    let nameHash: UInt64

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        nameHash = bytes.withUnsafeBufferPointer { NodeTable.hash($0) }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(nameHash)
    }

    static func == (lhs: NameKey, rhs: NameKey) -> Bool { lhs.nameHash == rhs.nameHash && lhs.bytes == rhs.bytes }
}

/// The drafts by name, remembering the order names were first made.
private struct DraftMap {
    private var index: [NameKey: Int] = [:]
    private(set) var names: [[UInt8]] = []
    var values: [ZoneBuilder.Draft] = []

    subscript(_ name: [UInt8]) -> ZoneBuilder.Draft? {
        index[NameKey(name)].map { values[$0] }
    }

    /// The draft of `name`, made with `value` when the name is new, for `body` to change in place.
    mutating func update<Result>(_ name: [UInt8], default value: @autoclosure () -> ZoneBuilder.Draft,
                                 _ body: (inout ZoneBuilder.Draft) -> Result) -> Result {
        body(&values[slot(of: name, default: value())])
    }

    /// Changes the draft of `name` in place when it exists (one lookup, no copy of the draft).
    mutating func updateExisting(_ name: [UInt8], _ body: (inout ZoneBuilder.Draft) -> Void) {
        if let i = index[NameKey(name)] { body(&values[i]) }
    }

    /// Makes sure `name` exists, with `value` when it is new.
    mutating func touch(_ name: [UInt8], default value: @autoclosure () -> ZoneBuilder.Draft) {
        _ = slot(of: name, default: value())
    }

    /// The index of `name`'s draft, appending `value` for a new name; one hash of the name.
    private mutating func slot(of name: [UInt8], default value: @autoclosure () -> ZoneBuilder.Draft) -> Int {
        let key = NameKey(name)
        if let existing = index[key] { return existing }
        let i = values.count
        index[key] = i
        names.append(name)
        values.append(value())
        return i
    }

    var count: Int { values.count }
}
