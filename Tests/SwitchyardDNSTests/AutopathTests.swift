import SwitchyardModel
@testable import SwitchyardDNS
import Testing

/// Which names autopath tries, for which clients (issue 14, item 4).
@Suite("Autopath candidates")
struct AutopathTests {
    static func autopath(hostSearch: [String] = ["corp.example"]) -> Autopath {
        let clients = Autopath.Clients()
        clients.update(ObjectKey(namespace: "team-a", name: "client"),
                       to: Pod(namespace: "team-a", name: "client", podIPs: [IPAddress("10.244.1.9")!], nodeName: "node-1", phase: .running))
        return Autopath(clients: clients, hostSearch: hostSearch.compactMap { DNSName($0) })
    }

    static func candidates(_ name: String, from client: String, _ autopath: Autopath = autopath()) -> [String] {
        autopath.candidates(after: DNSName(name)!, client: IPAddress(client)!, zone: Fixture.zone()).map(\.description)
    }

    @Test("the rest of the pod's search path, then the host's, then the bare name; case folded")
    func walk() {
        #expect(Self.candidates("Web.Other-NS.team-a.svc.cluster.local", from: "10.244.1.9") == [
            "web.other-ns.svc.cluster.local.", "web.other-ns.cluster.local.", "web.other-ns.corp.example.", "web.other-ns.",
        ])
    }

    @Test("nothing for unknown clients, other namespaces' first element, or the first element itself")
    func notApplicable() {
        #expect(Self.candidates("example.com.team-a.svc.cluster.local", from: "10.244.1.10").isEmpty, "not a known local pod")
        #expect(Self.candidates("example.com.team-b.svc.cluster.local", from: "10.244.1.9").isEmpty, "not the client's first search element")
        #expect(Self.candidates("team-a.svc.cluster.local", from: "10.244.1.9").isEmpty, "no name before the element")
        #expect(Self.candidates("example.com.svc.cluster.local", from: "10.244.1.9").isEmpty)
    }

    @Test("a pod that leaves (or finishes) is forgotten; an address reused by another namespace's pod follows it")
    func clients() {
        let autopath = Self.autopath()
        let key = ObjectKey(namespace: "team-a", name: "client")
        autopath.clients.update(key, to: nil)
        #expect(Self.candidates("x.team-a.svc.cluster.local", from: "10.244.1.9", autopath).isEmpty)
        let other = ObjectKey(namespace: "team-b", name: "new")
        autopath.clients.update(other, to: Pod(namespace: "team-b", name: "new", podIPs: [IPAddress("10.244.1.9")!], phase: .running))
        #expect(Self.candidates("x.team-b.svc.cluster.local", from: "10.244.1.9", autopath).first == "x.svc.cluster.local.")
        autopath.clients.update(other, to: Pod(namespace: "team-b", name: "new", podIPs: [IPAddress("10.244.1.9")!], phase: .succeeded))
        #expect(Self.candidates("x.team-b.svc.cluster.local", from: "10.244.1.9", autopath).isEmpty)
    }
}
