import Foundation
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

    @Test("a deletion's object keeps its kind and metadata; the rest is checked, not built")
    func deletionPruning() throws {
        let spec = #""spec":{"endpoints":[{"addresses":["10.0.0.1"],"ready":true,"n":-1.5e3}],"note":"a\"b\u00e9\n"}"#
        let line = #"{"type":"DELETED","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","#
            + #""metadata":{"name":"web-1","namespace":"shop","resourceVersion":"42"},"# + spec + "}}"
        guard case .success(let event) = WatchEvent.decode(ByteBuffer(string: line)) else {
            Issue.record("the deletion did not decode")
            return
        }
        #expect(event.type == .deleted)
        #expect(event.object["kind"]?.stringValue == "EndpointSlice")
        #expect(event.object["metadata"]?["name"]?.stringValue == "web-1")
        #expect(event.object.resourceVersion == "42")
        #expect(event.object["spec"] == nil, "not built")
        // The same object in an update is built whole.
        let update = line.replacingOccurrences(of: "DELETED", with: "MODIFIED")
        guard case .success(let modified) = WatchEvent.decode(ByteBuffer(string: update)) else {
            Issue.record("the update did not decode")
            return
        }
        #expect(modified.object["spec"]?["note"]?.stringValue == "a\"bé\n")
        // What is skipped is still checked.
        for broken in [#""spec":{"a":[1,2}"#, #""spec":{"a":"\x"}"#, #""spec":{"a":tru}"#, #""spec":{"a" 1}"#, #""spec":"open"#] {
            let bad = line.replacingOccurrences(of: spec, with: broken)
            guard case .failure(let failure) = WatchEvent.decode(ByteBuffer(string: bad)) else {
                Issue.record("\(broken) was accepted")
                continue
            }
            #expect(failure.message == "not JSON", "\(broken)")
        }
    }

    @Test("Status objects: 410 and 'too old resource version' mean relist")
    func statuses() {
        #expect(APIStatus(code: 410, reason: "Expired").isExpired)
        #expect(APIStatus(code: 500, message: "too old resource version: 5 (10)").isExpired)
        #expect(!APIStatus(code: 403, reason: "Forbidden").isExpired)
        #expect(APIStatus(code: 504, reason: "Timeout", message: "Too large resource version: 40, current: 35").isExpired)
    }

    @Test("a relist delivers every listed object as added or updated, then deletes the keys it did not list, in key order")
    func relistEvents() {
        func service(_ name: String, _ ip: String) -> ClusterObject {
            .service(Service(namespace: "default", name: name, clusterIPs: [IPAddress(ip)!]))
        }
        func key(_ name: String) -> ObjectKey { ObjectKey(namespace: "default", name: name) }
        var state = InformerState()
        #expect(state.replace(with: [service("b", "10.0.0.2"), service("a", "10.0.0.1")], kind: .service)
            == [.added(service("b", "10.0.0.2")), .added(service("a", "10.0.0.1"))])
        let events = state.replace(with: [service("a", "10.0.0.1"), service("b", "10.0.0.3"), service("c", "10.0.0.4")], kind: .service)
        #expect(events == [.updated(service("a", "10.0.0.1")), .updated(service("b", "10.0.0.3")), .added(service("c", "10.0.0.4"))],
                "unchanged objects are delivered too: the store, which holds them, drops them")
        #expect(state.replace(with: [service("c", "10.0.0.4")], kind: .service)
            == [.updated(service("c", "10.0.0.4")), .deleted(.service, key("a")), .deleted(.service, key("b"))])
        #expect(state.keys == [key("c")])
        #expect(state.upsert(service("c", "10.0.0.4")) == .updated(service("c", "10.0.0.4")))
        #expect(state.upsert(service("d", "10.0.0.5")) == .added(service("d", "10.0.0.5")))
        #expect(state.remove(key("zzz"), kind: .service) == nil, "an unknown key's deletion is ignored")
        #expect(state.remove(key("d"), kind: .service) == .deleted(.service, key("d")))
    }

    @Test("a relist taken page by page knows each listed key at once and deletes the unlisted ones when it ends")
    func pagedRelist() {
        func service(_ name: String, _ ip: String) -> ClusterObject {
            .service(Service(namespace: "default", name: name, clusterIPs: [IPAddress(ip)!]))
        }
        func key(_ name: String) -> ObjectKey { ObjectKey(namespace: "default", name: name) }
        var state = InformerState()
        _ = state.replace(with: [service("a", "10.0.0.1"), service("b", "10.0.0.2"), service("d", "10.0.0.5")], kind: .service)
        var relist = state.beginRelist()
        var delivered: [ClusterEvent] = []
        for page in [[service("a", "10.0.0.1")], [service("b", "10.0.0.3"), service("c", "10.0.0.4")]] {
            for object in page { delivered.append(state.relisted(object, into: &relist)) }
            #expect(state.keys.contains(key("d")), "nothing is deleted before the list is complete")
        }
        #expect(delivered == [.updated(service("a", "10.0.0.1")), .updated(service("b", "10.0.0.3")), .added(service("c", "10.0.0.4"))])
        #expect(state.keys == [key("a"), key("b"), key("c"), key("d")], "a relist failing here could still delete c next time")
        #expect(state.finish(relist, kind: .service) == [.deleted(.service, key("d"))])
        #expect(state.keys == [key("a"), key("b"), key("c")])
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
