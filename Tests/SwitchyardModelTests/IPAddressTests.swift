import Testing
import SwitchyardModel

@Suite("IP addresses and CIDRs")
struct IPAddressTests {
    @Test("IPv4 parses and prints", arguments: ["10.96.0.10", "0.0.0.0", "255.255.255.255", "127.0.0.1"])
    func ipv4RoundTrip(text: String) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.description == text)
    }

    @Test("IPv4 parses from a substring and from text that is not contiguous UTF-8")
    func ipv4FromOtherText() {
        let line = "ip=10.96.0.10;"
        #expect(IPv4Address(line.dropFirst(3).dropLast())?.description == "10.96.0.10")
        #expect(IPv4Address("10.96.0.10x".dropLast()) != nil)
        #expect(IPv4Address("10.96.0.1x") == nil)
        #expect(IPv4Address(sloppy: "010.096.000.010".dropFirst(0))?.description == "10.96.0.10")
    }

    @Test("sloppy IPv4 reads leading zeros as decimal, as kube-proxy's ParseIPSloppy", arguments: [
        ("172.30.0.041", "172.30.0.41"), ("010.096.000.010", "10.96.0.10"), ("10.96.0.10", "10.96.0.10"),
    ])
    func sloppy(text: String, expected: String) {
        #expect(IPAddress(sloppy: text)?.description == expected)
        #expect(IPAddress(text) == nil || text == expected, "the strict parser still refuses leading zeros")
    }

    @Test("sloppy IPv4 still refuses what is not an address", arguments: ["10.96.0.256", "10.96.0", "1.2.3.4.5", "a.b.c.d", "0300.0.0.1"])
    func sloppyRejects(text: String) {
        #expect(IPAddress(sloppy: text) == nil)
    }

    @Test("IPv4 rejects malformed text", arguments: ["10.96.0", "10.96.0.256", "10.96.0.1.2", "010.1.1.1", "a.b.c.d", "", "1..2.3", "1.2.3.4 "])
    func ipv4Rejects(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test("IPv6 prints in RFC 5952 form", arguments: zip(
        ["fd00:0:0:0:0:0:0:1", "FD00::1", "::", "::1", "2001:db8:0:0:1:0:0:1", "2001:0db8::0001", "1:0:0:2:0:0:0:3", "::ffff:10.0.0.1", "fe80:0:1:0:0:0:0:0"],
        ["fd00::1", "fd00::1", "::", "::1", "2001:db8::1:0:0:1", "2001:db8::1", "1:0:0:2::3", "::ffff:a00:1", "fe80:0:1::"]
    ))
    func ipv6Canonical(text: String, expected: String) throws {
        let address = try #require(IPv6Address(text))
        #expect(address.description == expected)
    }

    @Test("IPv6 rejects malformed text", arguments: [":::", "1::2::3", "12345::1", "1:2:3:4:5:6:7:8:9", "fd00::g", "fd00:", ":1", "fe80::1%eth0"])
    func ipv6Rejects(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test("IPAddress orders IPv4 before IPv6 and by value")
    func ordering() throws {
        let list = ["fd00::2", "10.0.0.2", "fd00::1", "10.0.0.10"].compactMap { IPAddress($0) }
        #expect(list.sorted().map(\.description) == ["10.0.0.2", "10.0.0.10", "fd00::1", "fd00::2"])
    }

    @Test("CIDR masks host bits and tests membership")
    func cidr() throws {
        let cidr = try #require(CIDR("10.244.1.7/16"))
        #expect(cidr.description == "10.244.0.0/16")
        #expect(cidr.contains(try #require(IPAddress("10.244.200.1"))))
        #expect(!cidr.contains(try #require(IPAddress("10.245.0.1"))))
        #expect(!cidr.contains(try #require(IPAddress("fd00::1"))))
        let v6 = try #require(CIDR("fd00:10:244::5/64"))
        #expect(v6.description == "fd00:10:244::/64")
        #expect(v6.contains(try #require(IPAddress("fd00:10:244::ffff"))))
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("10.0.0.0") == nil)
        #expect(CIDR("10.0.0.0/+8") == nil)
        #expect(try #require(CIDR("0.0.0.0/0")).contains(try #require(IPAddress("1.2.3.4"))))
    }
}
