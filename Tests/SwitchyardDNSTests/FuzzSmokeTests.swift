import Foundation
import SwitchyardDNS
import Testing

/// The fuzz target's check (`make fuzz` runs it under libFuzzer for 10 minutes) over the committed
/// seed corpus and seeded random mutations of it: a short smoke in the suite.
@Suite("DNS fuzz smoke")
struct DNSFuzzSmokeTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/Corpus/dns").standardized

    @Test("every seed and 5,000 mutations of them decode and answer without trapping")
    func smoke() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
            .map { try Data(contentsOf: Self.corpus.appendingPathComponent($0)) }
        #expect(seeds.count >= 10)
        var generator = SplitMix(seed: 15)
        for seed in seeds { seed.withUnsafeBytes { DNSFuzzing.check($0) } }
        for _ in 0..<5000 {
            var bytes = [UInt8](seeds[Int(generator.next() % UInt64(seeds.count))])
            for _ in 0..<(1 + generator.next() % 4) {
                switch generator.next() % 3 {
                case 0 where !bytes.isEmpty: bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                case 1 where !bytes.isEmpty: bytes.removeLast(Int(generator.next() % UInt64(bytes.count)))
                default: bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                }
            }
            bytes.withUnsafeBytes { DNSFuzzing.check($0) }
        }
    }
}
