// swift-tools-version:6.0
import PackageDescription

/// The request flow of DESIGN.md, one module per arrow:
/// InletServer (TLS, HTTP/2, routes) → InletAuth → RateLimit (RedisClient) → Normalize → MongoStore → Forwarder.
/// Release builds optimise across module boundaries: the hot path crosses five modules per
/// request, and profiles show generic and retain/release overhead at those boundaries.
/// They also leave out the run-time exclusivity checks (`swift_beginAccess` around each access to
/// a class's stored property): the compile-time checks stay, and debug builds, which run the
/// tests, keep the run-time ones too (docs/benchmarks.md, thirteenth session).
let releaseSettings: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "inlet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "inlet", targets: ["InletCLI"]),
        .executable(name: "inlet-bench", targets: ["InletBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C libraries from Debian, through pkg-config.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMongoc", pkgConfig: "libmongoc-1.0", providers: [.apt(["libmongoc-dev", "libbson-dev"])]),
        /// HTTP/2 framing, HPACK and the protocol's state machines, driven from the front door's pipeline.
        .systemLibrary(name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),

        /// Pure value types shared by every module: JSON values, documents, error codes.
        .target(name: "InletModel"),
        /// Settings and route files: parsed, validated with line numbers, compiled.
        .target(name: "InletConfig", dependencies: [
            "InletModel",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        /// Pure normalisation: bytes in, documents out (Segment events, provider callbacks, CSV rows).
        .systemLibrary(name: "CSysRandom"),
        .target(name: "Normalize", dependencies: ["InletModel", "CSysRandom"]),
        /// Write keys, partner keys and provider signature schemes.
        .target(name: "InletAuth", dependencies: [
            "InletModel", "InletConfig",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        /// A small pipelining Redis client on SwiftNIO; hiredis is its RESP codec.
        .target(name: "RedisClient", dependencies: [
            "CHiredis",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        /// GCRA rate limiting in Redis, with an in-process fallback when Redis is sick.
        .target(name: "RateLimit", dependencies: [
            "RedisClient", "InletModel",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        /// MongoDB through libmongoc on a dedicated thread pool, with group commit.
        .target(name: "MongoStore", dependencies: [
            "CMongoc", "InletModel",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        /// The outbox forwarder: claims due triggers and delivers them to the campaign engine.
        .target(name: "Forwarder", dependencies: [
            "MongoStore", "InletModel",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        /// The front door: listeners, TLS, HTTP/2 limits, route table, handlers; wires the modules together.
        .target(name: "InletServer", dependencies: [
            "InletModel", "InletConfig", "InletAuth", "Normalize", "RedisClient", "RateLimit", "MongoStore", "Forwarder", "CZlib", "CNghttp2",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        /// The `inlet` executable: serve, check, certs, keys, triggers.
        /// Linked with jemalloc: glibc's malloc spent a quarter of the events path consolidating and
        /// unlinking chunks; jemalloc cut CPU per event by 25-35 % (docs/benchmarks.md).
        .executableTarget(name: "InletCLI", dependencies: [
            "InletServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: [.linkedLibrary("jemalloc")]),
        /// Measurement programs for `scripts/bench`; kept out of Sources/ so it stays a picture of the flow.
        .executableTarget(name: "InletBench", dependencies: [
            "InletServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Benchmarks/InletBench"),

        .testTarget(name: "NormalizeTests", dependencies: ["Normalize"]),
        .testTarget(name: "ProviderTests", dependencies: [
            "InletAuth", "Normalize",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        .testTarget(name: "InletConfigTests", dependencies: ["InletConfig"]),
        .testTarget(name: "RedisClientTests", dependencies: [
            "RedisClient", "RateLimit", "CHiredis", .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "InletServer", "Forwarder",
            .product(name: "Crypto", package: "swift-crypto"),
            // The SES callback test signs as SNS does: RSA, and a certificate for the route.
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            // The raw HTTP/2 test client decodes the server's header blocks with it.
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
    ]
)

for target in package.targets where target.type == .regular || target.type == .executable {
    target.swiftSettings = (target.swiftSettings ?? []) + releaseSettings
}
