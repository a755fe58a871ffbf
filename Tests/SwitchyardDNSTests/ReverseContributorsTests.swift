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

    /// The Services at an address, without their kinds.
    func keys(_ index: ReverseContributors, at address: IPAddress) -> [ObjectKey] { index.services(at: address).map(\.key) }

    @Test("an address lists the Services added to it, and loses them as they are removed")
    func addRemove() {
        var index = ReverseContributors()
        index.add(web, to: a, dashedEndpoint: false)
        index.add(db, to: a, dashedEndpoint: false)
        index.add(web, to: b, dashedEndpoint: false)
        #expect(keys(index, at: a) == [web, db])
        #expect(keys(index, at: b) == [web])
        index.remove(web, from: a)
        #expect(keys(index, at: a) == [db])
        index.remove(web, from: b)
        #expect(keys(index, at: b) == [])
        index.remove(cache, from: a)
        #expect(keys(index, at: a) == [db], "removing a Service never added changes nothing")
    }

    @Test("a contribution keeps whether it is a dashed endpoint's, and is removed whatever its kind")
    func dashedEndpoints() {
        var index = ReverseContributors()
        index.add(web, to: a, dashedEndpoint: true)
        index.add(db, to: a, dashedEndpoint: false)
        #expect(index.services(at: a).map(\.dashedEndpoint) == [true, false])
        #expect(keys(index, at: a) == [web, db])
        index.remove(web, from: a)
        #expect(keys(index, at: a) == [db])
        index.add(web, to: a, dashedEndpoint: true)
        index.remove(db, from: a)
        #expect(index.services(at: a).map(\.dashedEndpoint) == [true])
    }

    @Test("a forgotten Service's number goes to the next Service, not to its old addresses")
    func reuse() {
        var index = ReverseContributors()
        index.add(web, to: a, dashedEndpoint: false)
        index.add(db, to: b, dashedEndpoint: false)
        index.remove(web, from: a)
        index.forget(web)
        index.add(cache, to: b, dashedEndpoint: false)
        #expect(keys(index, at: b) == [db, cache])
        #expect(keys(index, at: a) == [])
        index.add(web, to: a, dashedEndpoint: false)
        #expect(keys(index, at: a) == [web])
        index.removeAll()
        #expect(keys(index, at: b) == [])
    }
}
