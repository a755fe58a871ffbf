import SwitchyardModel

/// What the zone says about one question. Normal outcomes are values; `rcode` is the one place they
/// become response codes.
public enum Resolution: Sendable {
    /// Records exist: the precomputed answer (and additional) records.
    case answer(Answer)
    /// The name exists without records of that type; the origin's SOA goes in authority.
    case noData(origin: Int)
    /// The name does not exist; the origin's SOA goes in authority.
    case nameError(origin: Int)
    /// The zone has not synced yet and the name was not found.
    case serverFailure
    /// Not served here (zone transfers, other classes, out-of-zone without an upstream).
    case refused
    /// Outside the cluster zones: ask the upstream as is.
    case forward
    /// An ExternalName whose target is outside the cluster zones: the CNAME, then the target's records
    /// from the upstream.
    case externalName(target: DNSName, origin: Int)

    /// The response code this outcome is answered with.
    public var rcode: ResponseCode {
        switch self {
        case .answer, .noData, .externalName: .noError
        case .nameError: .nameError
        case .serverFailure: .serverFailure
        case .refused, .forward: .refused
        }
    }

    /// Whether the reply speaks for a cluster zone (AA set).
    public var isAuthoritative: Bool {
        switch self {
        case .answer, .noData, .nameError, .externalName: true
        case .serverFailure, .refused, .forward: false
        }
    }
}

/// Answers questions from a zone. Pure: no I/O, no clock.
public enum Resolver {
    /// Resolves one question against `zone`.
    public static func resolve(_ question: Question, in zone: DNSZone) -> Resolution {
        let lower = DNSName.lowercase(question.name.wire)
        guard let origin = zone.origin(of: lower) else { return .forward }
        guard question.recordClass == .internet || question.recordClass == .any else { return .refused }
        if question.type == .axfr || question.type == .ixfr { return .refused }
        if let node = zone.nodes.find(lower) {
            if let target = zone.nodes.externalTarget(of: node),
               question.type == .a || question.type == .aaaa || question.type == .txt {
                return .externalName(target: target, origin: Int(node.origin))
            }
            if let answer = node.answer(for: question.type) { return .answer(answer) }
            return .noData(origin: Int(node.origin))
        }
        if zone.isReverse(origin) {
            if zone.options.reverseFallthrough { return .forward }
            return zone.isSynced ? .nameError(origin: origin) : .serverFailure
        }
        if let pod = podResolution(question, lower, origin: origin, zone: zone) { return pod }
        if externalNamePort(lower, in: zone) { return .noData(origin: origin) }
        return zone.isSynced ? .nameError(origin: origin) : .serverFailure
    }

    /// `_port._proto.<svc>.<ns>.svc.<zone>` of an ExternalName Service: CoreDNS answers it NOERROR
    /// without records (the Service matches whatever the port), not NXDOMAIN. An ExternalName
    /// Service's node is the one that holds a CNAME.
    private static func externalNamePort(_ lower: [UInt8], in zone: DNSZone) -> Bool {
        var offset = 0
        for _ in 0..<2 {
            guard offset < lower.count, lower[offset] > 0, offset + 1 < lower.count, lower[offset + 1] == UInt8(ascii: "_") else {
                return false
            }
            offset += 1 + Int(lower[offset])
        }
        guard offset < lower.count, let node = zone.nodes.find(Array(lower[offset...])) else { return false }
        return node.answer(for: .cname) != nil
    }

    /// `<dashed-ip>.<ns>.pod.<zone>`: answered from the name itself (insecure) or when a pod in that
    /// namespace has the IP (verified). Nil means "no such name".
    private static func podResolution(
        _ question: Question, _ lower: [UInt8], origin: Int, zone: DNSZone
    ) -> Resolution? {
        guard zone.options.pods != .disabled else { return nil }
        // The parent `<ns>.pod.<zone>` exists only for existing namespaces when pods are enabled.
        let firstLength = Int(lower[0])
        let parent = Array(lower[(1 + firstLength)...])
        guard firstLength > 0, parent.count == lower.count - 1 - firstLength,
              zone.nodes.find(parent) != nil,
              parent.count > 4,
              parent.count - zone.origins[origin].count > 0
        else { return nil }
        // parent = <ns> . pod . <zone>
        let nsLength = Int(parent[0])
        let podLabelStart = 1 + nsLength
        guard podLabelStart + 4 <= parent.count,
              parent[podLabelStart] == 3,
              Array(parent[(podLabelStart + 1)...(podLabelStart + 3)]) == Array("pod".utf8),
              parent.count - podLabelStart - 4 == zone.origins[origin].count
        else { return nil }
        let label = lower[1...firstLength]
        guard let ip = podIP(label) else { return nil }
        if zone.options.pods == .verified {
            let namespace = String(decoding: parent[1...nsLength], as: UTF8.self)
            guard zone.podIPs[namespace]?.contains(ip) == true else { return nil }
        }
        let wanted: RecordType = ip.family == .ipv4 ? .a : .aaaa
        guard question.type == wanted else { return .noData(origin: origin) }
        let data: RData
        switch ip {
        case .v4(let a): data = .a(a)
        case .v6(let a): data = .aaaa(a)
        }
        let rr = ResourceRecord(name: DNSName(uncheckedWire: lower), ttl: zone.options.ttl, data: data)
        return .answer(Answer.make(
            type: wanted, answers: [rr], questionName: lower, zoneLength: zone.origins[origin].count))
    }

    /// `10-1-2-3` → 10.1.2.3; `fd00--1` → fd00::1.
    static func podIP(_ label: ArraySlice<UInt8>) -> IPAddress? {
        let dots = String(decoding: label.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
        if let v4 = IPAddress(dots), v4.family == .ipv4 { return v4 }
        let colons = String(decoding: label.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ":") : $0 }, as: UTF8.self)
        if let v6 = IPAddress(colons), v6.family == .ipv6 { return v6 }
        return nil
    }
}
