import Testing
@testable import SwitchyardDNS

@Suite("Hashed slots: positions found by a precomputed hash")
struct HashedSlotsTests {
    @Test("every position is found again past several growths, colliding hashes told apart by the caller")
    func findsAfterGrowth() {
        var slots = HashedSlots()
        var keys: [UInt64] = []
        for i in 0..<5000 {
            let key = UInt64(i)
            // Every tenth key shares its hash with the one before: the caller's match decides.
            let hash = HashedSlots.hash(i % 10 == 9 ? key - 1 : key)
            #expect(slots.find(hash: hash, where: { keys[$0] == key }) == nil)
            slots.insert(keys.count, hash: hash)
            keys.append(key)
        }
        #expect(slots.count == 5000)
        for (position, key) in keys.enumerated() {
            let hash = HashedSlots.hash(key % 10 == 9 ? key - 1 : key)
            #expect(slots.find(hash: hash, where: { keys[$0] == key }) == position)
        }
        #expect(slots.find(hash: HashedSlots.hash(99_999), where: { _ in true }) == nil)
    }
}
