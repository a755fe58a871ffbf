// swift-tools-version: 6.1
// Micro-benchmarks of the pure rules pipeline (issue 3 item 6) and of the DNS zone's publish (issue 13),
// with ordo-one/benchmark. A separate package so that its build (release, plus the benchmark tooling)
// never slows the main build or CI.
// Run from this directory: `swift package benchmark` (see ../docs/benchmarks.md).
import Foundation
import PackageDescription

/// A path dependency is known by its directory's name (the checkout's, e.g. `switchyard` or a worktree's).
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SwitchyardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "RulesBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchyardBench", package: root),
                .product(name: "SwitchyardRules", package: root),
                .product(name: "SwitchyardLB", package: root),
                .product(name: "SwitchyardNFT", package: root),
                .product(name: "SwitchyardModel", package: root),
                // Not imported: linked for the daemon's allocator (jemalloc, configured in CSwitchyardSystem).
                .product(name: "SwitchyardSystem", package: root),
            ],
            path: "Benchmarks/RulesBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DNSBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchyardBench", package: root),
                .product(name: "SwitchyardDNS", package: root),
                .product(name: "SwitchyardModel", package: root),
                // Not imported: linked for the daemon's allocator (jemalloc, configured in CSwitchyardSystem).
                .product(name: "SwitchyardSystem", package: root),
            ],
            path: "Benchmarks/DNSBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
