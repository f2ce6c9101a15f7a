// swift-tools-version: 6.0
import PackageDescription

// Arrows point one way: NGram and LSTM depend on LMCore; Batching on LMCore; SentencePiece on
// LMCore and CSentencePiece; Server on Batching, HTTP, Telemetry and SentencePiece; the `lmserve`
// executable on Server. HTTP never names a model.
let package = Package(
    name: "lmserve",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lmserve", targets: ["lmserve"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries, one target per C library.
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // Macros and constants Swift cannot import, as `lmserve_`-prefixed functions.
        .target(name: "CShims", dependencies: ["CSQLite", "COpenSSL"]),
        // SentencePiece's C++ processor behind a C face (libsentencepiece-dev).
        .target(
            name: "CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece")]),
        // The small-batch matrix kernel (AVX2 + FMA, chosen at run time) that BLAS lacks.
        .target(name: "CKernels"),

        .target(
            name: "LMCore",
            dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(
            name: "NGram",
            dependencies: ["LMCore", "CZlib", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "LSTM",
            dependencies: ["LMCore", "CBLAS", "CKernels", .product(name: "Logging", package: "swift-log")]),
        .target(name: "SentencePiece", dependencies: ["LMCore", "CSentencePiece"]),
        .target(
            name: "Batching",
            dependencies: [
                "LMCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "HTTP",
            dependencies: [
                "COpenSSL", "CShims",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "Telemetry",
            dependencies: [
                "CSQLite", "CShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]),
        // Version and git commit (written before each build by the BuildCommit plugin).
        .target(name: "BuildInfo", plugins: ["BuildCommit"]),
        .plugin(name: "BuildCommit", capability: .buildTool()),
        .target(
            name: "Server",
            dependencies: [
                "LMCore", "NGram", "LSTM", "Batching", "HTTP", "Telemetry", "BuildInfo", "SentencePiece",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]),
        .executableTarget(
            name: "lmserve",
            dependencies: [
                "Server", "LMCore", "NGram", "LSTM", "Telemetry", "HTTP", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Tiny echo server on HTTP for Benchmarks/http-wrk.sh, and the request-parser fuzzer (Fuzz/run.sh).
        .executableTarget(name: "HTTPBenchServer", dependencies: ["HTTP", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "HTTPParserFuzz", dependencies: ["HTTP"], path: "Fuzz/Sources/HTTPParserFuzz"),
        // The KenLM binary reader fuzzer (Fuzz/kenlm.sh).
        .executableTarget(name: "KenLMFuzz", dependencies: ["NGram", "LMCore"], path: "Fuzz/Sources/KenLMFuzz"),

        .testTarget(name: "LMCoreTests", dependencies: ["LMCore"]),
        .testTarget(name: "SentencePieceTests", dependencies: ["SentencePiece", "LMCore", "NGram"]),
        .testTarget(name: "NGramTests", dependencies: ["NGram", "LMCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LSTMTests", dependencies: ["LSTM", "LMCore", "CKernels"]),
        // Manual clock, gate and observed values that scheduler tests wait on.
        .target(name: "SchedulerTesting", dependencies: ["Batching"], path: "Tests/SchedulerTesting"),
        .testTarget(name: "BatchingTests", dependencies: ["Batching", "LMCore", "NGram", "SchedulerTesting"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "HTTP", "Telemetry", "LMCore", "NGram", "LSTM", "Batching", "SchedulerTesting",
                .product(name: "Yams", package: "Yams"),
            ]),
    ],
    cxxLanguageStandard: .cxx17
)
