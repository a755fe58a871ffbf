import Foundation
import Testing
import SwitchyardTestSupport
@testable import SwitchyardBench

@Suite("Bench report")
struct ReportTests {
    static let requiredKeys: Set<String> = ["path", "phase", "services", "endpoints_per_service", "median_ms", "min_ms", "max_ms", "runs"]

    func decode(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    @Test("JSON has the issue's shape: rows with path, phase, sizes, median/min/max and runs")
    func jsonShape() throws {
        let shape = ClusterShape(services: 10, endpointsPerService: 2)
        var report = BenchReport(shape: shape, runs: 3, dispatch: "random")
        report.rows = [
            BenchRow(path: .switchyard, phase: .full, shape: shape, samples: [3, 1, 2]),
            BenchRow(path: .nftSame, phase: .endpointChange, shape: shape, error: "exit 1: Error: conflicting protocols \"x\""),
        ]
        report.peakRSSBytes = 1234
        report.kernelObjects = 56
        let json = try decode(report.json())
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 2)
        for row in rows { #expect(Self.requiredKeys.isSubset(of: Set(row.keys))) }
        #expect(rows[0]["median_ms"] as? Double == 2)
        #expect(rows[0]["min_ms"] as? Double == 1)
        #expect(rows[0]["max_ms"] as? Double == 3)
        #expect(rows[0]["runs"] as? Int == 3)
        #expect(rows[1]["median_ms"] is NSNull)
        #expect((rows[1]["error"] as? String)?.contains("conflicting protocols") == true)
        #expect(json["peak_rss_bytes"] as? Int == 1234)
        #expect(json["kernel_objects"] as? Int == 56)
    }

    @Test("medians of odd and even counts", arguments: [([1.0], 1.0), ([5.0, 1, 3], 3.0), ([4.0, 1, 2, 3], 2.5)] as [([Double], Double)])
    func median(values: [Double], expected: Double) {
        #expect(Statistics.median(values) == expected)
    }

    @Test("number formatting")
    func formatting() {
        #expect(Format.fixed(1.23456, 3) == "1.235")
        #expect(Format.fixed(0.05, 1) == "0.1")
        #expect(Format.milliseconds(1234.4) == "1234")
        #expect(Format.mebibytes(11 * 1_048_576) == "11.0 MiB")
    }

    /// The tiny end-to-end run CI does: every path × phase row exists, restart sends nothing.
    @Test("switchyard bench --services 50 --endpoints-per-service 3 --runs 1 --output json (root)")
    func endToEnd() throws {
        if let reason = TestNamespace.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        let result = try Shell.run([Shell.switchyardBinary, "bench", "--services", "50", "--endpoints-per-service", "3",
                                    "--runs", "1", "--output", "json", "--path-timeout", "60"])
        #expect(result.status == 0, "bench failed: \(result.error)")
        let json = try decode(result.output)
        let rows = try #require(json["rows"] as? [[String: Any]])
        var seen: Set<String> = []
        for row in rows {
            #expect(Self.requiredKeys.isSubset(of: Set(row.keys)))
            seen.insert("\(row["path"] ?? "")/\(row["phase"] ?? "")")
        }
        var expected: Set<String> = ["switchyard/compute", "switchyard/restart"]
        for path in BenchPath.allCases {
            for phase in ["full", "endpoint-change", "service-add", "service-remove", "cleanup"] { expected.insert("\(path.rawValue)/\(phase)") }
        }
        #expect(seen == expected)
        for row in rows where (row["path"] as? String) == "switchyard" {
            #expect(row["error"] == nil, "switchyard \(row["phase"] ?? ""): \(row["error"] ?? "")")
            #expect(row["median_ms"] is Double)
        }
        let restart = rows.first { ($0["path"] as? String) == "switchyard" && ($0["phase"] as? String) == "restart" }
        #expect(restart?["operations"] as? Int == 0)
        let full = rows.filter { ($0["phase"] as? String) == "full" }
        #expect(full.allSatisfy { $0["median_ms"] is Double }, "a full load failed: \(full)")
        #expect((json["peak_rss_bytes"] as? Int ?? 0) > 0)
        #expect((json["kernel_objects"] as? Int ?? 0) > 0)
    }
}
