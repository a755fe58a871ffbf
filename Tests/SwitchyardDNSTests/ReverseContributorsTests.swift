import Testing
@testable import SwitchyardDNS
import SwitchyardModel

@Suite("Reverse-name contributors: Services by address, numbered")
struct ReverseContributorsTests {
    let a = IPAddress("10.244.0.1")!
    let b = IPAddress("10.244.0.2")!
    let web = ObjectKey(namespace: "default", name: "web")
    let db = ObjectKey(namespace: "default", name: "db")
    let cache = ObjectKey(namespace: "other", name: "cache")

    @Test("an address lists the Services added to it, and loses them as they are removed")
    func addRemove() {
        var index = ReverseContributors()
        index.add(web, to: a)
        index.add(db, to: a)
        index.add(web, to: b)
        #expect(index.services(at: a) == [web, db])
        #expect(index.services(at: b) == [web])
        index.remove(web, from: a)
        #expect(index.services(at: a) == [db])
        index.remove(web, from: b)
        #expect(index.services(at: b) == [])
        index.remove(cache, from: a)
        #expect(index.services(at: a) == [db], "removing a Service never added changes nothing")
    }

    @Test("a forgotten Service's number goes to the next Service, not to its old addresses")
    func reuse() {
        var index = ReverseContributors()
        index.add(web, to: a)
        index.add(db, to: b)
        index.remove(web, from: a)
        index.forget(web)
        index.add(cache, to: b)
        #expect(index.services(at: b) == [db, cache])
        #expect(index.services(at: a) == [])
        index.add(web, to: a)
        #expect(index.services(at: a) == [web])
        index.removeAll()
        #expect(index.services(at: b) == [])
    }
}
