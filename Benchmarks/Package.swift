// swift-tools-version: 6.1
// Micro-benchmarks of the pure rules pipeline (issue 3 item 6) and of the DNS zone's publish (issue 13),
// with ordo-one/benchmark. A separate package so that its build (release, plus the benchmark tooling)
// never slows the main build or CI.
// Run from this directory: `swift package benchmark` (see ../docs/benchmarks.md).
import Foundation
import PackageDescription

/// A path dependency is known by its directory's name (the checkout's, e.g. `switchyard` or a worktree's).
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

/// A benchmark executable over the given Switchyard products, linked with the daemon's allocator
/// (SwitchyardSystem, not imported: jemalloc, configured in CSwitchyardSystem).
func benchmark(_ name: String, of products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark")]
            + (products + ["SwitchyardSystem"]).map { .product(name: $0, package: root) },
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "SwitchyardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        benchmark("RulesBenchmarks", of: ["SwitchyardBench", "SwitchyardRules", "SwitchyardLB", "SwitchyardNFT", "SwitchyardModel"]),
        benchmark("DNSBenchmarks", of: ["SwitchyardBench", "SwitchyardDNS", "SwitchyardModel"]),
    ],
    swiftLanguageModes: [.v5]
)
