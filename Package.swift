// swift-tools-version: 6.1
// Switchyard: a Kubernetes Service data plane (kube-proxy + cluster DNS replacement) for one node.
// The module map and contracts are in ../shared/DESIGN.md; targets are listed here in that order.
import PackageDescription

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
        .library(name: "SwitchyardModel", targets: ["SwitchyardModel"]),
        .library(name: "SwitchyardLB", targets: ["SwitchyardLB"]),
        .library(name: "SwitchyardNFT", targets: ["SwitchyardNFT"]),
        .library(name: "SwitchyardRules", targets: ["SwitchyardRules"]),
        .library(name: "SwitchyardDNS", targets: ["SwitchyardDNS"]),
        .library(name: "SwitchyardNetlink", targets: ["SwitchyardNetlink"]),
        .library(name: "SwitchyardSources", targets: ["SwitchyardSources"]),
        .library(name: "SwitchyardSandbox", targets: ["SwitchyardSandbox"]),
        .library(name: "SwitchyardBench", targets: ["SwitchyardBench"]),
        .library(name: "SwitchyardSystem", targets: ["SwitchyardSystem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // The Kubernetes API client (HTTP/1.1 keep-alive, TLS through swift-nio-ssl).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        // Tests only: a test CA and client certificates for the TLS tests of the Kubernetes source.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
    ],
    targets: [
        // The operating-system layer: entering a network namespace, running a program, the allocator,
        // descriptor limits and connection caps.
        // jemalloc serves the process's allocations (allocator.c; Debian: libjemalloc-dev).
        .target(name: "CSwitchyardSystem", linkerSettings: [.linkedLibrary("jemalloc")]),
        .target(name: "SwitchyardSystem", dependencies: ["CSwitchyardSystem", .product(name: "NIOCore", package: "swift-nio")]),
        // Slim Sendable values and the ClusterStore. No I/O.
        .target(
            name: "SwitchyardModel",
            dependencies: [.product(name: "HashTreeCollections", package: "swift-collections")]
        ),
        // Manifests on disk (and later the Kubernetes API) → ClusterEvents.
        .target(
            name: "SwitchyardSources",
            dependencies: [
                "SwitchyardModel",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The pure load-balancing core: endpoint selection and dispatch models.
        .target(name: "SwitchyardLB", dependencies: ["SwitchyardModel"]),
        // nftables object model, Transaction, nft text, in-memory fake with a packet tracer. No I/O.
        .target(name: "SwitchyardNFT"),
        // libnftnl + libmnl (Debian: libnftnl-dev, libmnl-dev).
        .systemLibrary(
            name: "CSwitchyardNetfilter",
            pkgConfig: "libnftnl",
            providers: [.apt(["libnftnl-dev", "libmnl-dev"])]
        ),
        // The only module that talks to the kernel: netlink batches, read-back, namespaces.
        .target(name: "SwitchyardNetlink", dependencies: ["CSwitchyardNetfilter", "SwitchyardNFT", "SwitchyardSystem", "SwitchyardModel"]),
        // Compiler (plans → ruleset, the fixed layout as data) → differ, the incremental compiler, the one
        // sync pipeline; iptables-restore rendering. The planner is in SwitchyardLB.
        .target(
            name: "SwitchyardRules",
            dependencies: [
                "SwitchyardModel", "SwitchyardLB", "SwitchyardNFT",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // DNS codec, zone, resolver, NIO server, forwarder.
        .target(
            name: "SwitchyardDNS",
            dependencies: [
                "SwitchyardModel", "SwitchyardSystem", "CSwitchyardSystem",
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The composition root: every part a Service in one ServiceGroup; sync loop, metrics, health.
        .target(
            name: "SwitchyardDaemon",
            dependencies: [
                "SwitchyardModel", "SwitchyardSources", "SwitchyardLB", "SwitchyardNFT",
                "SwitchyardRules", "SwitchyardNetlink", "SwitchyardDNS", "SwitchyardSystem", "SwitchyardIptables",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Network namespaces shaped like one node with pods, echo servers and a probe client, for
        // end-to-end tests and the `make run` demo. Talks to the kernel only through `ip` and sockets.
        .target(name: "SwitchyardSandbox", dependencies: ["SwitchyardModel", "SwitchyardSystem"]),
        // `switchyard bench`: the seeded synthetic cluster, kube-proxy's nftables and iptables layouts for
        // comparison, and the runner that times each path in private network namespaces.
        .target(
            name: "SwitchyardBench",
            dependencies: [
                "SwitchyardModel", "SwitchyardLB", "SwitchyardNFT", "SwitchyardRules", "SwitchyardNetlink", "SwitchyardSystem",
                "SwitchyardIptables",
            ]
        ),
        .target(
            name: "SwitchyardIptables",
            dependencies: ["SwitchyardModel", "SwitchyardLB", "SwitchyardRules", "SwitchyardSystem"]
        ),
        .target(
            name: "SwitchyardTestSupport",
            dependencies: ["SwitchyardModel", "SwitchyardSystem", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "switchyard",
            dependencies: [
                "SwitchyardModel", "SwitchyardSources", "SwitchyardLB", "SwitchyardNFT",
                "SwitchyardRules", "SwitchyardDNS", "SwitchyardNetlink", "SwitchyardSandbox", "SwitchyardDaemon",
                "SwitchyardBench", "SwitchyardSystem", "SwitchyardIptables",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SwitchyardModelTests", dependencies: ["SwitchyardModel", "SwitchyardTestSupport"]),
        .testTarget(
            name: "SwitchyardSourcesTests",
            dependencies: ["SwitchyardSources", "SwitchyardModel", "SwitchyardTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // KubernetesSource against an in-process API server (NIO HTTP/1.1, optional TLS).
        .testTarget(
            name: "SwitchyardKubernetesTests",
            dependencies: [
                "SwitchyardSources", "SwitchyardModel", "SwitchyardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SwitchyardLBTests", dependencies: ["SwitchyardLB", "SwitchyardModel", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardNFTTests", dependencies: ["SwitchyardNFT", "SwitchyardTestSupport"]),
        .testTarget(
            name: "SwitchyardRulesTests",
            dependencies: ["SwitchyardRules", "SwitchyardNFT", "SwitchyardLB", "SwitchyardModel", "SwitchyardSources", "SwitchyardTestSupport"],
            exclude: ["Golden"]
        ),
        .testTarget(
            name: "SwitchyardEndToEndTests",
            dependencies: [
                "SwitchyardSandbox", "SwitchyardNetlink", "SwitchyardRules", "SwitchyardLB", "SwitchyardNFT",
                "SwitchyardSources", "SwitchyardModel", "SwitchyardTestSupport", "SwitchyardDaemon",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SwitchyardNetlinkTests", dependencies: ["SwitchyardNetlink", "SwitchyardNFT", "SwitchyardTestSupport", "CSwitchyardNetfilter"]),
        .testTarget(name: "SwitchyardSandboxTests", dependencies: ["SwitchyardSandbox", "SwitchyardModel", "SwitchyardTestSupport"]),
        .testTarget(
            name: "SwitchyardDNSTests",
            dependencies: [
                "SwitchyardDNS", "SwitchyardModel", "SwitchyardSources", "SwitchyardTestSupport", "SwitchyardBench",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SwitchyardDaemonTests",
            dependencies: [
                "SwitchyardDaemon", "SwitchyardModel", "SwitchyardNFT", "SwitchyardRules", "SwitchyardLB", "SwitchyardDNS",
                "SwitchyardSources", "SwitchyardSystem", "SwitchyardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SwitchyardBenchTests",
            dependencies: ["SwitchyardBench", "SwitchyardRules", "SwitchyardLB", "SwitchyardModel", "SwitchyardTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
