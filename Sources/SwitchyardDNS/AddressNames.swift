import SwitchyardModel

/// Names that hold their own A/AAAA records and nothing else — the endpoints' names
/// (`<label>.<service>.<namespace>.svc.<zone>`), one per endpoint: the bulk of a large zone. They are
/// kept outside the builder's drafts, in flat arrays (a name's bytes, its origin and its addresses),
/// and encoded straight into wire answers: no hashed draft, no record value and no compression table
/// per name. Perf, zone build at 10,000 Services × 100 endpoints (1.09M names): the endpoint names
/// through the drafts were 20% of the build and most of its 35% of encoding.
///
/// Each name must be added once, and no draft may hold the same name (the builder keeps the two
/// apart: an endpoint name has four labels below its zone, which no other name of a zone has when
/// no zone lies inside another).
struct AddressNames {
    private struct Entry {
        var nameStart: Int32
        var nameLength: UInt8
        var origin: UInt8
        var firstAddress: Int32
        var addressCount: Int32
    }

    private var nameBytes: [UInt8] = []
    private var entries: [Entry] = []
    private var addresses: [IPAddress] = []

    var count: Int { entries.count }

    /// Adds `label.suffix` (wire, lowercased) with its addresses; false when the name is too long.
    mutating func add(label: [UInt8], suffix: [UInt8], origin: Int, addresses newAddresses: [IPAddress]) -> Bool {
        let length = 1 + label.count + suffix.count
        guard length <= DNSLimits.maxNameLength else { return false }
        entries.append(Entry(nameStart: Int32(nameBytes.count), nameLength: UInt8(length), origin: UInt8(origin),
                             firstAddress: Int32(addresses.count), addressCount: Int32(newAddresses.count)))
        nameBytes.append(UInt8(label.count))
        nameBytes.append(contentsOf: label)
        nameBytes.append(contentsOf: suffix)
        addresses.append(contentsOf: newAddresses)
        return true
    }

    /// Each name with its origin and addresses, in the order they were added.
    func forEach(_ body: (_ name: UnsafeBufferPointer<UInt8>, _ origin: Int, _ addresses: ArraySlice<IPAddress>) -> Void) {
        nameBytes.withUnsafeBufferPointer { all in
            for entry in entries {
                let start = Int(entry.nameStart)
                let name = UnsafeBufferPointer(rebasing: all[start..<(start + Int(entry.nameLength))])
                let first = Int(entry.firstAddress)
                body(name, Int(entry.origin), addresses[first..<(first + Int(entry.addressCount))])
            }
        }
    }

    /// The addresses of `name`, nil when it is not one of these names (a linear search: for the rare
    /// ExternalName whose chase leads to an endpoint's name).
    func addresses(of name: [UInt8]) -> ArraySlice<IPAddress>? {
        var found: ArraySlice<IPAddress>?
        forEach { candidate, _, addresses in
            if found == nil, candidate.count == name.count, candidate.elementsEqual(name) { found = addresses }
        }
        return found
    }

    /// Appends a name's encoded answers to `blob`: an A entry and an AAAA entry, each only when the
    /// name has addresses of that family — what ``Answer/encodeEntry(type:answers:additional:questionName:zoneLength:into:)``
    /// writes for the same records, whose owner is the question name.
    static func encode(_ addresses: ArraySlice<IPAddress>, nameLength: Int, ttl: UInt32, into blob: inout [UInt8]) {
        var v4 = 0
        for address in addresses { if case .v4 = address { v4 += 1 } }
        if v4 > 0 { Answer.encodeAddressEntry(.a, addresses, count: v4, questionNameLength: nameLength, ttl: ttl, into: &blob) }
        if v4 < addresses.count {
            Answer.encodeAddressEntry(.aaaa, addresses, count: addresses.count - v4, questionNameLength: nameLength, ttl: ttl, into: &blob)
        }
    }
}
