@testable import SwitchyardDaemon
import Testing

/// When node-local DNS gives its queries to the Service's endpoints for overload (issue 16, item 3).
@Suite("Node-local DNS overload guard")
struct OverloadGuardTests {
    @Test("withdrawn after three slow samples in a row, restored after ten fast ones; one slow moment changes nothing")
    func hysteresis() {
        var overload = OverloadGuard()
        #expect(overload.sample(.milliseconds(400)) == nil)
        #expect(overload.sample(.milliseconds(1)) == nil, "a fast sample breaks the streak")
        #expect(overload.sample(.milliseconds(300)) == nil)
        #expect(overload.sample(.milliseconds(300)) == nil)
        #expect(overload.sample(.milliseconds(250)) == .withdraw)
        #expect(overload.isWithdrawn)
        for _ in 0..<9 { #expect(overload.sample(.milliseconds(5)) == nil) }
        #expect(overload.sample(.milliseconds(50)) == nil, "not fast enough: the streak starts over")
        for _ in 0..<9 { #expect(overload.sample(.milliseconds(5)) == nil) }
        #expect(overload.sample(.milliseconds(5)) == .restore)
        #expect(!overload.isWithdrawn)
    }
}
