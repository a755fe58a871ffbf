import Testing
@testable import SwitchyardModel

@Suite("Endpoint: the store's one value per endpoint")
struct EndpointTests {
    static let address = IPAddress("10.244.0.1")!

    @Test("hostname and hints read back as set, compare and hash by value, and cost no width")
    func rarelySetFields() {
        var endpoint = Endpoint(addresses: [Self.address], nodeName: "node-1")
        #expect(endpoint.hostname == nil && endpoint.hints == nil)
        endpoint.hostname = "web-0"
        endpoint.hints = EndpointHints(forZones: ["zone-a"])
        #expect(endpoint.hostname == "web-0")
        #expect(endpoint.hints == EndpointHints(forZones: ["zone-a"]))
        endpoint.hostname = nil
        #expect(endpoint.hostname == nil && endpoint.hints == EndpointHints(forZones: ["zone-a"]))

        let built = Endpoint(addresses: [Self.address], nodeName: "node-1", hints: EndpointHints(forZones: ["zone-a"]))
        #expect(built == endpoint)
        #expect(Set([built, endpoint]).count == 1)
        #expect(built != Endpoint(addresses: [Self.address], nodeName: "node-1"))
        // A million of these at 10,000 Services x 100 endpoints (152 bytes with the two fields inline,
        // 128 with the conditions after the rarely set fields).
        #expect(MemoryLayout<Endpoint>.stride <= 120)
    }
}
