import SwitchyardModel

/// The reverse zones' names while a zone is built: per address, the PTR targets the Services
/// contribute (their ClusterIPs' names and their endpoints' names), each once, in the order
/// contributed — kept outside the builder's drafts in flat arrays and encoded straight into wire
/// answers. Perf, zone build at 10,000 Services × 100 endpoints on 50,000 Pods: a million PTRs
/// through the drafts (a reverse name's bytes, a hashed lookup and a record value per PTR) were a
/// quarter of the build.
///
/// As CoreDNS answers, only the first Service claiming a ClusterIP names it; endpoints' PTRs are
/// all kept.
struct ReverseNames {
    private struct Name {
        var address: IPAddress
        var clusterIPClaimed = false
        var first: Int32 = -1
        var last: Int32 = -1
    }

    private struct Target {
        var start: Int32
        var length: UInt8
        var next: Int32 = -1
    }

    private var slotOfAddress = HashedSlots()
    private var names: [Name] = []
    private var targets: [Target] = []
    private var targetBytes: [UInt8] = []

    var count: Int { names.count }

    /// Adds the ClusterIP's PTR to `target` unless another Service claimed that ClusterIP before.
    mutating func addClusterIP(_ address: IPAddress, target: [UInt8]) {
        let slot = self.slot(of: address)
        guard !names[slot].clusterIPClaimed else { return }
        names[slot].clusterIPClaimed = true
        add(slot, label: nil, suffix: target)
    }

    /// Adds the endpoint's PTR to `label.suffix` (unless already there); false when that name is
    /// too long to exist.
    @discardableResult
    mutating func addEndpoint(_ address: IPAddress, label: [UInt8], suffix: [UInt8]) -> Bool {
        guard 1 + label.count + suffix.count <= DNSLimits.maxNameLength else { return false }
        add(slot(of: address), label: label, suffix: suffix)
        return true
    }

    private mutating func slot(of address: IPAddress) -> Int {
        let hash = Self.hash(address)
        if let slot = slotOfAddress.find(hash: hash, where: { names[$0].address == address }) { return slot }
        let slot = names.count
        slotOfAddress.insert(slot, hash: hash)
        names.append(Name(address: address))
        return slot
    }

    private static func hash(_ address: IPAddress) -> UInt64 {
        switch address {
        case .v4(let a): HashedSlots.hash(UInt64(a.value))
        case .v6(let a): HashedSlots.hash(a.high ^ HashedSlots.hash(a.low))
        }
    }

    /// Appends the target `label.suffix` (or `suffix` alone) to the name in `slot` when the name
    /// does not point at it yet.
    private mutating func add(_ slot: Int, label: [UInt8]?, suffix: [UInt8]) {
        let start = targetBytes.count
        if let label {
            targetBytes.append(UInt8(label.count))
            targetBytes.append(contentsOf: label)
        }
        targetBytes.append(contentsOf: suffix)
        let length = targetBytes.count - start
        var index = names[slot].first
        while index >= 0 {
            let existing = targets[Int(index)]
            if Int(existing.length) == length,
               targetBytes[Int(existing.start)..<(Int(existing.start) + length)].elementsEqual(targetBytes[start...]) {
                targetBytes.removeSubrange(start...)
                return
            }
            index = existing.next
        }
        let new = Int32(targets.count)
        targets.append(Target(start: Int32(start), length: UInt8(length)))
        if names[slot].last >= 0 { targets[Int(names[slot].last)].next = new } else { names[slot].first = new }
        names[slot].last = new
    }

    /// Each name with its address and its PTR targets, in the order the names were first made.
    func forEach(_ body: (_ address: IPAddress, _ targets: [ArraySlice<UInt8>]) -> Void) {
        var list: [ArraySlice<UInt8>] = []
        for name in names {
            list.removeAll(keepingCapacity: true)
            var index = name.first
            while index >= 0 {
                let target = targets[Int(index)]
                list.append(targetBytes[Int(target.start)..<(Int(target.start) + Int(target.length))])
                index = target.next
            }
            body(name.address, list)
        }
    }
}
