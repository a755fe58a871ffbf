import Testing
@testable import SwitchyardSources

@Suite("API name rules")
struct DNSNameTests {
    @Test("DNS-1123 subdomains: labels joined by dots", arguments: [
        "node-a", "a", "node-a.example.com", "1.2.3", String(repeating: "a", count: 63) + ".b",
    ])
    func validSubdomain(name: String) {
        #expect(DNSName.subdomainProblem(name) == nil)
    }

    @Test("not DNS-1123 subdomains: empty, empty labels, bad characters, labels starting or ending with '-', a label over 63", arguments: [
        "", ".", "a..b", "a.", ".a", "Node_1", "a.-b", "a-.b", "a.B", String(repeating: "a", count: 64) + ".b",
        String(repeating: "a.", count: 127) + "ab",
    ])
    func invalidSubdomain(name: String) {
        #expect(DNSName.subdomainProblem(name) != nil)
    }
}
