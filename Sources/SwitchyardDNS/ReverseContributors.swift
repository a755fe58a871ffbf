import SwitchyardModel

/// The Services contributing to each address's reverse name, which a partial zone update rebuilds
/// whole when one of them changes. Services are numbered, so an address holds 32-bit numbers
/// instead of `ObjectKey`s of 32 bytes each (heaptrack: 9.7 MB of this index at 10,000 Services ×
/// 10 endpoints; at 100 endpoints an address is shared by ~20 Services).
struct ReverseContributors: Sendable {
    private var numbersByAddress: [IPAddress: [UInt32]] = [:]
    private var numbers: [ObjectKey: UInt32] = [:]
    /// The Service of each number; nil for a number free for reuse.
    private var keys: [ObjectKey?] = []
    private var freeNumbers: [UInt32] = []

    /// Marks a contribution that is an endpoint's PTR to its dashed name (`10-1-2-3.<svc>...`), with
    /// the Service's ClusterIP PTR if the address is also its ClusterIP: what a partial update can
    /// make without reading the Service's endpoints.
    private static let dashedEndpointBit: UInt32 = 1 << 31

    /// Records that `key` contributes to `address`'s reverse name (once per address);
    /// `dashedEndpoint` when the address is one of its endpoints', every one of them there named
    /// after the address.
    mutating func add(_ key: ObjectKey, to address: IPAddress, dashedEndpoint: Bool) {
        let number = number(of: key)
        precondition(number < Self.dashedEndpointBit, "fewer than 2^31 Services")
        numbersByAddress[address, default: []].append(dashedEndpoint ? number | Self.dashedEndpointBit : number)
    }

    /// Records that `key` no longer contributes to `address`; an address left with none leaves the
    /// index (churn keeps making new addresses).
    mutating func remove(_ key: ObjectKey, from address: IPAddress) {
        guard let number = numbers[key] else { return }
        numbersByAddress[address]?.removeAll { $0 & ~Self.dashedEndpointBit == number }
        if numbersByAddress[address]?.isEmpty == true { numbersByAddress[address] = nil }
    }

    /// Frees `key`'s number: the Service is gone and has been removed from every address.
    mutating func forget(_ key: ObjectKey) {
        guard let number = numbers.removeValue(forKey: key) else { return }
        keys[Int(number)] = nil
        freeNumbers.append(number)
    }

    /// The Services contributing to `address`'s reverse name, each with whether its contribution
    /// is a dashed endpoint's (see ``add(_:to:dashedEndpoint:)``).
    func services(at address: IPAddress) -> [(key: ObjectKey, dashedEndpoint: Bool)] {
        guard let list = numbersByAddress[address] else { return [] }
        return list.compactMap { entry in
            keys[Int(entry & ~Self.dashedEndpointBit)].map { ($0, entry & Self.dashedEndpointBit != 0) }
        }
    }

    mutating func removeAll() {
        numbersByAddress = [:]
        numbers = [:]
        keys = []
        freeNumbers = []
    }

    private mutating func number(of key: ObjectKey) -> UInt32 {
        if let number = numbers[key] { return number }
        let number: UInt32
        if let free = freeNumbers.popLast() {
            number = free
            keys[Int(number)] = key
        } else {
            number = UInt32(keys.count)
            keys.append(key)
        }
        numbers[key] = number
        return number
    }
}
