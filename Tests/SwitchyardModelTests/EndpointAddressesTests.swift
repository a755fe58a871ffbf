import Testing
import SwitchyardModel

@Suite("An endpoint's addresses")
struct EndpointAddressesTests {
    let a = IPAddress("10.244.0.1")!
    let b = IPAddress("10.244.0.2")!
    let c = IPAddress("fd00::3")!

    @Test("keep every address in order, whatever their number")
    func order() {
        #expect(Array(EndpointAddresses([])) == [])
        #expect(Array(EndpointAddresses([a])) == [a])
        #expect(Array(EndpointAddresses([a, b, c])) == [a, b, c])
        let endpoint = Endpoint(addresses: [b, a])
        #expect(endpoint.addresses.first == b)
        #expect(endpoint.addresses[1] == a)
        #expect(endpoint.addresses.count == 2)
    }

    @Test("compare by their addresses, as the array they replace")
    func equality() {
        #expect(EndpointAddresses([a, b]) == [a, b])
        #expect(EndpointAddresses([a, b]) != [b, a])
        #expect(EndpointAddresses([a]) != [a, a])
        #expect(EndpointAddresses([]) != [a])
        #expect(Set([EndpointAddresses([a, b]), [a, b], [a]]).count == 2)
    }

    @Test("hold one address inline: an endpoint allocates nothing for it")
    func inline() {
        // The array they replace is an 8-byte reference to a 64-byte heap block per endpoint.
        #expect(MemoryLayout<EndpointAddresses>.size <= 32)
        // The inline address ends the value: what follows it in an endpoint fills its padding.
        #expect(MemoryLayout<EndpointAddresses>.size < MemoryLayout<EndpointAddresses>.stride)
        #expect(EndpointAddresses([a]).description == "[10.244.0.1]")
    }
}
