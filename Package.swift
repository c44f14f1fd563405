// swift-tools-version:6.0
import PackageDescription

/// Rapport: a multi-tenant customer data platform on PostgreSQL.
///
/// Dependencies go one way: rapport -> RapportServer -> RapportStore -> RapportQL, and
/// rapport -> RapportREPL (the REPL without a terminal) -> RapportStore.
/// RapportQL depends on nothing but the standard library and Foundation.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "rapport",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rapport", targets: ["rapport"]),
        .library(name: "RapportQL", targets: ["RapportQL"]),
        .library(name: "RapportStore", targets: ["RapportStore"]),
        .library(name: "RapportServer", targets: ["RapportServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "RapportQL",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RapportStore",
            dependencies: [
                "RapportQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedMigrations"]
        ),
        // libFuzzer entry point over the whole RQL pipeline; only RapportQL, so the sanitized
        // build stays small. `scripts/fuzz rql` builds it with `--sanitize=fuzzer -DFUZZING`
        // (libFuzzer's `main`); a plain build replays files (`swift run FuzzRQL FILE…`).
        .executableTarget(name: "FuzzRQL", dependencies: ["RapportQL"], swiftSettings: swiftSettings),
        .executableTarget(name: "EmbedMigrationsTool"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["EmbedMigrationsTool"]
        ),
        .plugin(name: "EmbedVersion", capability: .buildTool()),
        .target(
            name: "RapportServer",
            dependencies: [
                "RapportStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The web console's stylesheet and scripts, compiled in: the console works offline.
            resources: [
                .embedInCode("Console/Assets/console.css"),
                .embedInCode("Console/Assets/console.js"),
                .embedInCode("Console/Assets/ask.js"),
                .embedInCode("Console/Assets/privacy.js"),
                .embedInCode("Console/Assets/data.js"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RapportREPL",
            dependencies: [
                "RapportStore", "RapportQL",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // libedit (Debian: libedit-dev) for the REPL's line editing, history and completion.
        .systemLibrary(name: "CLibEdit", providers: [.apt(["libedit-dev"])]),
        .executableTarget(
            name: "rapport",
            dependencies: [
                "RapportServer", "RapportQL", "RapportREPL", "CLibEdit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedVersion"]
        ),
        .executableTarget(
            name: "rapport-bench",
            dependencies: [
                "RapportStore", "RapportServer", "RapportTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RapportTestSupport",
            dependencies: [
                "RapportStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/RapportTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RapportQLTests",
            dependencies: ["RapportQL"],
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RapportStoreTests",
            dependencies: ["RapportStore", "RapportTestSupport"],
            exclude: ["Oracle"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RapportServerTests",
            dependencies: [
                "RapportServer", "RapportTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RapportREPLTests",
            dependencies: ["RapportREPL", "RapportTestSupport"],
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "rapportTests",
            dependencies: ["RapportTestSupport", "RapportREPL", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
    ]
)
