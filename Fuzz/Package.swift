// swift-tools-version: 6.1
// Fuzz targets (issue 15): the DNS message decoder and the manifest loader under libFuzzer. A separate
// package so that its instrumented build never touches the main build or CI. Run from the repository
// root with `make fuzz` (FUZZ_SECONDS per target, default 600); the corpora in Fuzz/Corpus are seeds.
import Foundation
import PackageDescription

/// A path dependency is known by its directory's name (the checkout's, e.g. `switchyard` or a worktree's).
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SwitchyardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzDNSMessage", dependencies: ["FuzzDriver", .product(name: "SwitchyardDNS", package: root)]),
        .executableTarget(name: "FuzzManifest", dependencies: ["FuzzDriver", .product(name: "SwitchyardSources", package: root)]),
    ],
    swiftLanguageModes: [.v6]
)
