import Synchronization
import SwitchyardSystem
import Testing

@Suite("Memory its owner freed goes back to the kernel once it reaches a share of the resident set (issue 13)")
struct FreedBytesReleaseTests {
    /// A resident set and the releases made, simulated (the test process's own moves with the
    /// suites running beside this one).
    final class SimulatedMemory: Sendable {
        struct State { var resident = 0, releases = 0 }
        let state = Mutex(State())

        init(resident: Int) { state.withLock { $0.resident = resident } }

        func policy(share: Double) -> FreedBytesRelease {
            FreedBytesRelease(share: share, resident: { self.state.withLock { $0.resident } },
                              releaseHeap: { self.state.withLock { $0.releases += 1 } })
        }

        var releases: Int { state.withLock { $0.releases } }
    }

    @Test("freed bytes accumulate until they reach the share of the resident set, then are released together")
    func releasesAtTheShare() {
        // 10,000 × 100's shape: ~1 MB bases in a ~450 MiB process; 1% is ~4.5 MiB.
        let memory = SimulatedMemory(resident: 450 << 20)
        var policy = memory.policy(share: 0.01)
        for fold in 1...4 {
            let released = policy.freed(1 << 20)
            #expect(!released, "fold \(fold): \(fold) MiB freed, under 4.5 MiB")
        }
        #expect(policy.unreleased == 4 << 20)
        let fifth = policy.freed(1 << 20)
        #expect(fifth, "5 MiB freed: over 1% of the resident set")
        #expect(policy.unreleased == 0)
        #expect(memory.releases == 1)
        let nothing = policy.freed(0)
        #expect(!nothing, "nothing freed: nothing to release")
        #expect(memory.releases == 1)
    }

    @Test("a base over the share is released at once (10,000 × 10: ~1.5 MB bases in ~115 MiB)")
    func largeBaseAtOnce() {
        let memory = SimulatedMemory(resident: 115 << 20)
        var policy = memory.policy(share: 0.01)
        let first = policy.freed(1_500_000), second = policy.freed(1_500_000)
        #expect(first && second)
        #expect(memory.releases == 2)
    }

    @Test("a whole build releases at once, whatever was counted")
    func releaseNow() {
        let memory = SimulatedMemory(resident: 450 << 20)
        var policy = memory.policy(share: 0.01)
        policy.freed(1 << 20)
        policy.release()
        #expect(memory.releases == 1)
        #expect(policy.unreleased == 0)
    }

    @Test("an unreadable resident set releases what was freed rather than keep it")
    func unreadableResident() {
        let memory = SimulatedMemory(resident: 0)
        var policy = FreedBytesRelease(share: 0.01, resident: { nil }, releaseHeap: { memory.state.withLock { $0.releases += 1 } })
        let released = policy.freed(4096)
        #expect(released)
        #expect(memory.releases == 1)
    }
}
