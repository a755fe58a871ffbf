import FuzzDriver
import SwitchyardDNS

/// One input: a datagram as the server receives it. Decoding must never trap, and every reply the
/// server would send must decode as a DNS message. (SwiftPM names an executable's entry point
/// `<target>_main`; libFuzzer's driver runs from it.)
@_cdecl("FuzzDNSMessage_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        DNSFuzzing.check(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
