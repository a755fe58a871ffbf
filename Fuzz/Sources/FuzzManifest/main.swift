import FuzzDriver
import SwitchyardSources

/// One input: a manifest file's bytes. Loading must never trap or hang: it gives objects or problems.
@_cdecl("FuzzManifest_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        ManifestFuzzing.check(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
