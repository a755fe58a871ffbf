import SwitchyardDNS

// libFuzzer's driver, called from this target's entry point (SwiftPM names it `<target>_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// One input: a datagram as the server receives it. Decoding must never trap, and every reply the
/// server would send must decode as a DNS message.
@_cdecl("FuzzDNSMessage_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in
        DNSFuzzing.check(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
