import Foundation
import SwitchyardSources
import Testing

/// The manifest fuzz target's check (`make fuzz`) over the committed seed corpus and seeded
/// mutations of it: a short smoke in the suite.
@Suite("Manifest fuzz smoke")
struct ManifestFuzzSmokeTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/Corpus/manifests").standardized

    @Test("every seed and 300 mutations of them load or report problems without trapping")
    func smoke() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
            .map { try Data(contentsOf: Self.corpus.appendingPathComponent($0)) }
        #expect(seeds.count >= 10)
        var state: UInt64 = 15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        let alphabet = Array(" :-[]{}&*!|>'\"\n#0123456789.,abcdefghijklmnopqrstuvwxyz".utf8)
        for seed in seeds { seed.withUnsafeBytes { ManifestFuzzing.check($0) } }
        for _ in 0..<300 {
            var bytes = [UInt8](seeds[Int(next() % UInt64(seeds.count))])
            for _ in 0..<(1 + next() % 6) where !bytes.isEmpty {
                let position = Int(next() % UInt64(bytes.count))
                switch next() % 3 {
                case 0: bytes[position] = alphabet[Int(next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(next() % UInt64(alphabet.count))], at: position)
                }
            }
            bytes.withUnsafeBytes { ManifestFuzzing.check($0) }
        }
    }
}
