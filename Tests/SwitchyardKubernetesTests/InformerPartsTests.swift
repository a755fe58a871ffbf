import NIOCore
@testable import SwitchyardSources
import SwitchyardModel
import Testing

/// The pure parts of an informer: splitting a watch stream, decoding events, diffing lists.
@Suite("Informer parts")
struct InformerPartsTests {
    @Test("lines come out whole however the chunks fall", arguments: [1, 3, 7, 64])
    func lineSplitting(chunkSize: Int) throws {
        let stream = "{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":3}\n{\"partial\""
        var splitter = WatchLineSplitter()
        var lines: [String] = []
        let bytes = Array(stream.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            splitter.append(ByteBuffer(bytes: bytes[start..<min(start + chunkSize, bytes.count)]))
            while let line = try splitter.nextLine() { lines.append(String(buffer: line)) }
        }
        #expect(lines == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])
        #expect(splitter.pendingBytes == "{\"partial\"".utf8.count)
    }

    @Test("watch events decode; broken lines say why", arguments: [
        ("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\"}}", "ADDED"),
        ("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}", "BOOKMARK"),
        ("{\"type\":\"ADDED\",\"object\":{\"kind\":", "not JSON"),
        ("{\"type\":\"SOMETHING\",\"object\":{}}", "unknown type SOMETHING"),
        ("{\"object\":{}}", "no type"),
        ("{\"type\":\"DELETED\"}", "no object"),
    ])
    func watchEvents(line: String, expected: String) {
        switch WatchEvent.decode(ByteBuffer(string: line)) {
        case .success(let event): #expect(event.type.rawValue == expected)
        case .failure(let failure): #expect(failure.message == expected)
        }
    }

    @Test("Status objects: 410 and 'too old resource version' mean relist")
    func statuses() {
        #expect(APIStatus(code: 410, reason: "Expired").isExpired)
        #expect(APIStatus(code: 500, message: "too old resource version: 5 (10)").isExpired)
        #expect(!APIStatus(code: 403, reason: "Forbidden").isExpired)
        #expect(APIStatus(code: 504, reason: "Timeout", message: "Too large resource version: 40, current: 35").isExpired)
    }

    @Test("a relist yields only the differences, in key order")
    func relistDifferences() {
        func service(_ name: String, _ ip: String) -> ClusterObject {
            .service(Service(namespace: "default", name: name, clusterIPs: [IPAddress(ip)!]))
        }
        var state = InformerState()
        #expect(state.replace(with: [service("b", "10.0.0.2"), service("a", "10.0.0.1")]).count == 2)
        let events = state.replace(with: [service("a", "10.0.0.1"), service("b", "10.0.0.3"), service("c", "10.0.0.4")])
        #expect(events == [.updated(service("b", "10.0.0.3")), .added(service("c", "10.0.0.4"))])
        #expect(state.replace(with: [service("c", "10.0.0.4")]) == [.deleted(service("a", "10.0.0.1")), .deleted(service("b", "10.0.0.3"))])
        #expect(state.upsert(service("c", "10.0.0.4")) == nil)
        #expect(state.remove(ObjectKey(namespace: "default", name: "zzz")) == nil)
    }

    @Test("a relist taken page by page leaves the state alone until it ends, then yields the differences")
    func pagedRelist() {
        func service(_ name: String, _ ip: String) -> ClusterObject {
            .service(Service(namespace: "default", name: name, clusterIPs: [IPAddress(ip)!]))
        }
        var state = InformerState()
        _ = state.replace(with: [service("a", "10.0.0.1"), service("b", "10.0.0.2"), service("d", "10.0.0.5")])
        var relist = state.beginRelist()
        for page in [[service("a", "10.0.0.1")], [service("b", "10.0.0.3"), service("c", "10.0.0.4")]] {
            for object in page { state.relisted(object, into: &relist) }
            #expect(state.sorted.count == 3, "nothing applied before the list is complete")
        }
        #expect(state.finish(relist) == [.updated(service("b", "10.0.0.3")), .added(service("c", "10.0.0.4")), .deleted(service("d", "10.0.0.5"))])
        #expect(state.sorted == [service("a", "10.0.0.1"), service("b", "10.0.0.3"), service("c", "10.0.0.4")])
    }

    @Test("backoff doubles to the cap, jittered into the upper half")
    func backoff() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .milliseconds(400))
        let delays = (0..<5).map { _ in backoff.next() }
        for (delay, base) in zip(delays, [100, 200, 400, 400, 400]) {
            #expect(delay >= .milliseconds(base / 2) && delay <= .milliseconds(base))
        }
        backoff.reset()
        #expect(backoff.next() <= .milliseconds(100))
    }

    @Test("query values are percent-encoded")
    func escaping() {
        #expect(APIClient.escape("!service.kubernetes.io/service-proxy-name") == "%21service.kubernetes.io%2Fservice-proxy-name")
        #expect(APIClient.escape("status.phase!=Succeeded,x") == "status.phase%21%3DSucceeded%2Cx")
    }
}
