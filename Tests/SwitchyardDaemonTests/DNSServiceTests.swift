import Logging
import SwitchyardDNS
import SwitchyardModel
import Synchronization
import Testing
@testable import SwitchyardDaemon

/// Records what the daemon asks of a DNS server.
final class RecordingDNS: ClusterDNSServer {
    let events = Mutex<[String]>([])

    func start() async throws -> [String] {
        events.withLock { $0.append("start") }
        return ["127.0.0.1:5353"]
    }

    func publish(_ snapshot: ClusterSnapshot, changes: ZoneChanges?) {
        events.withLock { $0.append("publish \(snapshot.services.count) services") }
    }

    func stop() async throws {
        events.withLock { $0.append("stop") }
    }
}

@Suite("DNS service wiring")
struct DNSServiceTests {
    @Test("the sync loop's snapshots reach the DNS server: started first, every change published, stopped at the end")
    func snapshotsReachDNS() async throws {
        let dns = RecordingDNS()
        let feed = ZoneFeed()
        var harness = LoopHarness()
        harness.outputs.zoneFeed = feed
        let service = DNSService(server: dns, feed: feed, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            try await harness.run { h in
                h.input.yield(try Fixtures.initialBatch())
                #expect(await eventually { dns.events.withLock { $0.contains("publish 1 services") } })
            }
            try await group.waitForAll()  // the loop finished its snapshot stream
        }
        #expect(dns.events.withLock { $0 } == ["start", "publish 1 services", "stop"])
    }
}
