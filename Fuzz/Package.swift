// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for inlet. A package of its own, so the main build never sees it.
///
/// The library targets are symlinks into `../Sources` (SwiftPM refuses target paths outside the
/// package root), so the fuzzers compile exactly the code the server ships. `RESPDecoding` takes
/// only the four files of `RedisClient` that decode replies, so it needs NIOCore but not NIOPosix.
///
/// Build and run through `scripts/fuzz`; it passes `-sanitize=fuzzer,address -parse-as-library`.
let package = Package(
    name: "inlet-fuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "InletModel"),
        .systemLibrary(name: "CSysRandom"),
        .target(name: "Normalize", dependencies: ["InletModel", "CSysRandom"]),
        .target(name: "InletConfig", dependencies: [
            "InletModel",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "RESPDecoding", dependencies: ["CHiredis", .product(name: "NIOCore", package: "swift-nio")]),

        /// `LLVMFuzzerRunDriver`, called from each fuzzer's `@main` (see the header for why).
        .target(name: "FuzzDriver"),

        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzDriver", "InletModel"]),
        .executableTarget(name: "FuzzSegment", dependencies: ["FuzzDriver", "InletModel", "Normalize"]),
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzDriver", "InletModel", "Normalize"]),
        .executableTarget(name: "FuzzRESP", dependencies: [
            "FuzzDriver", "RESPDecoding", .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(name: "FuzzRoutes", dependencies: ["FuzzDriver", "InletConfig"]),
    ]
)
