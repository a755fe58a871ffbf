import Testing
@testable import SwitchyardDNS

@Suite("Overlay table: a zone's changed names in one arena")
struct OverlayTableTests {
    static func name(_ text: String) -> [UInt8] { DNSName(text)!.lowercased().wire }
    static func hash(_ name: [UInt8]) -> UInt64 { name.withUnsafeBufferPointer { NodeTable.hash($0) } }

    static func blob(_ table: OverlayTable, _ text: String) -> [UInt8]? {
        let name = name(text)
        guard case .node(let node) = table.entry(name, hash: hash(name)) else { return nil }
        return Array(node.storage[node.blobStart..<node.blobEnd])
    }

    @Test("written, written again, removed, and past several growths of its slots")
    func writes() {
        var table = OverlayTable()
        for i in 0..<100 {
            let name = Self.name("n\(i).ns.svc.cluster.local")
            table.write(name, hash: Self.hash(name), origin: 1, blob: [UInt8(i), 1], externalTarget: nil)
        }
        #expect(table.count == 100)
        let again = Self.name("n7.ns.svc.cluster.local")
        table.write(again, hash: Self.hash(again), origin: 1, blob: [9, 9, 9], externalTarget: DNSName("example.com"))
        let gone = Self.name("n8.ns.svc.cluster.local")
        table.write(gone, hash: Self.hash(gone), origin: 1, blob: nil, externalTarget: nil)
        #expect(table.count == 100, "names written again are counted once")
        #expect(Self.blob(table, "n7.ns.svc.cluster.local") == [9, 9, 9], "the latest write wins")
        #expect(Self.blob(table, "n99.ns.svc.cluster.local") == [99, 1])
        let bytes = table.arena.count
        let fits = Self.name("n9.ns.svc.cluster.local")
        let offset = table.write(fits, hash: Self.hash(fits), origin: 1, blob: [5], externalTarget: nil)
        #expect(table.arena.count == bytes && offset < bytes, "answers that fit are rewritten in place")
        #expect(Self.blob(table, "n9.ns.svc.cluster.local") == [5])
        if case .removed = table.entry(gone, hash: Self.hash(gone)) {} else { Issue.record("n8 is removed") }
        let other = Self.name("never.written")
        #expect(table.entry(other, hash: Self.hash(other)) == nil)
        if case .node(let node) = table.entry(again, hash: Self.hash(again)) {
            #expect(node.isOverlay && node.overlayTarget == DNSName("example.com"))
        } else {
            Issue.record("n7 is a node")
        }
        var live = 0
        table.forEachNode { _, _, _ in live += 1 }
        #expect(live == 99, "removed names are skipped")
    }

    @Test("an overlay sized up front holds its names without growing")
    func reserved() {
        var table = OverlayTable()
        table.reserve(bytes: 4096, names: 100)
        let capacity = table.arena.capacity
        for i in 0..<100 {
            let name = Self.name("r\(i).ns.svc.cluster.local")
            table.write(name, hash: Self.hash(name), origin: 1, blob: [UInt8(i)], externalTarget: nil)
        }
        #expect(table.arena.capacity == capacity, "the arena did not move")
        for i in 0..<100 { #expect(Self.blob(table, "r\(i).ns.svc.cluster.local") == [UInt8(i)]) }
        #expect(table.count == 100)
    }

    @Test("an entry copied to the other table reads the same there, target included")
    func copy() {
        var source = OverlayTable(), copy = OverlayTable()
        let name = Self.name("web.default.svc.cluster.local")
        let offset = source.write(name, hash: Self.hash(name), origin: 2, blob: [1, 2, 3], externalTarget: DNSName("example.org"))
        copy.copy(from: source, at: offset, hash: Self.hash(name))
        #expect(Self.blob(copy, "web.default.svc.cluster.local") == [1, 2, 3])
        if case .node(let node) = copy.entry(name, hash: Self.hash(name)) {
            #expect(node.origin == 2 && node.overlayTarget == DNSName("example.org"))
        } else {
            Issue.record("copied")
        }
        // A removal copied over the copy's node rewrites it in place as removed.
        let removal = source.write(name, hash: Self.hash(name), origin: 2, blob: nil, externalTarget: nil)
        copy.copy(from: source, at: removal, hash: Self.hash(name))
        if case .removed = copy.entry(name, hash: Self.hash(name)) {} else { Issue.record("the removal is copied") }
        #expect(copy.count == 1)
    }

    @Test("a base table given too small a capacity grows and still finds every name")
    func baseTableGrows() {
        var table = NodeTable(capacity: 1)
        for i in 0..<500 { table.insert(name: Self.name("g\(i).ns.svc.cluster.local"), origin: 1, blob: [UInt8(i % 256)], externalTarget: nil) }
        #expect(table.count == 500)
        for i in 0..<500 {
            let node = table.find(Self.name("g\(i).ns.svc.cluster.local"))
            #expect(node.map { $0.storage[$0.blobStart] } == UInt8(i % 256), "g\(i)")
        }
        #expect(table.find(Self.name("g500.ns.svc.cluster.local")) == nil)
    }

    @Test("a base merged with an overlay holds exactly its live nodes: removed and rewritten names leave no slack")
    func mergedIsExact() {
        var base = NodeTable(capacity: 100)
        for i in 0..<100 { base.insert(name: Self.name("b\(i).ns.svc.cluster.local"), origin: 1, blob: [UInt8](repeating: 7, count: 40), externalTarget: nil) }
        var overlay = OverlayTable()
        for i in 0..<30 {
            // Ten removed, ten rewritten with more answers (a second entry in the arena), ten new.
            let name = Self.name(i < 20 ? "b\(i).ns.svc.cluster.local" : "new\(i).ns.svc.cluster.local")
            overlay.write(name, hash: Self.hash(name), origin: 1, blob: i < 10 ? nil : [UInt8](repeating: 9, count: 10), externalTarget: nil)
            if (10..<20).contains(i) { overlay.write(name, hash: Self.hash(name), origin: 1, blob: [UInt8](repeating: 9, count: 60), externalTarget: nil) }
        }
        let merged = NodeTable(merging: base, overlay: overlay, count: 100)
        #expect(merged.count == 100)
        #expect(merged.find(Self.name("b3.ns.svc.cluster.local")) == nil)
        #expect(merged.find(Self.name("b13.ns.svc.cluster.local")).map { $0.blobEnd - $0.blobStart } == 60)
        #expect(merged.find(Self.name("new23.ns.svc.cluster.local")) != nil)
        #expect(merged.storage.capacity - merged.storage.count < 32,
                "capacity \(merged.storage.capacity) for \(merged.storage.count) bytes (the overlay's arena: \(overlay.arena.count))")
    }
}
