import SwitchyardSystem
import Testing

@Suite("Freed memory goes back to the kernel when RSS has grown beyond the allowance (issue 13: RSS flat under churn)")
struct FreedMemoryReleaseTests {
    @Test("nothing before the first release; a release when RSS grew by more than the allowance, measured from what is left")
    func releasesOnGrowth() throws {
        var policy = FreedMemoryRelease(allowedGrowth: 0.05)
        #expect(policy.releaseIfGrown() == nil, "no floor yet: nothing to compare with")
        policy.release()
        let floor = try #require(policy.floor)
        // Live memory the process really uses now: resident, and not releasable.
        let grown = floor / 2
        var live = [UInt8](repeating: 0, count: grown)
        for page in stride(from: 0, to: grown, by: 4096) { live[page] = 1 }
        let outcome = policy.releaseIfGrown()
        let released = try #require(outcome, "RSS grew by ~50% over the floor")
        #expect(released.before >= floor + grown * 9 / 10)
        #expect(released.after >= floor + grown * 9 / 10, "live memory stays resident")
        #expect(policy.floor == released.after)
        #expect(policy.releaseIfGrown() == nil, "measured from what is left: the live memory does not trigger it again")
        #expect(live.count == grown)
    }

    @Test("a resident set below the floor lowers it: another owner released, growth counts from there")
    func floorFollowsOtherReleases() throws {
        var policy = FreedMemoryRelease(allowedGrowth: 0.05)
        // A 64 MiB block is mapped on its own whatever the mmap threshold: freeing it unmaps it.
        let size = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        for page in stride(from: 0, to: size, by: 4096) { block.storeBytes(of: 1, toByteOffset: page, as: UInt8.self) }
        policy.release()
        let high = try #require(policy.floor)
        block.deallocate()
        #expect(policy.releaseIfGrown() == nil)
        let lowered = try #require(policy.floor)
        #expect(lowered <= high - size * 9 / 10, "the floor follows the resident set down (\(high >> 20) → \(lowered >> 20) MiB)")
    }

    @Test("the resident set is read from /proc/self/statm")
    func resident() throws {
        let bytes = try #require(FreedMemoryRelease.residentBytes())
        #expect(bytes > 1 << 20 && bytes < 1 << 40)
    }

    @Test("the heap's statistics count an allocation as in use while it lives and not after")
    func heapStatistics() {
        let size = 8 << 20
        let before = MallocTuning.heapStatistics()
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        let during = MallocTuning.heapStatistics()
        block.deallocate()
        let after = MallocTuning.heapStatistics()
        // The suite runs in parallel: other tests allocate and free between the samples (by a few
        // KB in the failures seen), so the 8-MiB block must show with half its size to spare.
        #expect(during.inUse >= before.inUse + size / 2, "\(before) → \(during)")
        #expect(after.inUse <= during.inUse - size / 2, "\(during) → \(after)")
    }
}
