// swift-tools-version: 6.0
import PackageDescription

// Arrows point one way. NGram (+ CZlib), LSTM (+ CBLAS, CKernels) and SentencePiece
// (+ CSentencePiece) depend on LMCore; Ensemble (mixtures of any models) on LMCore; Batching on
// LMCore; HTTP on COpenSSL and CShims only (it never names a model); Telemetry on CSQLite and
// swift-prometheus; Server on LMCore, NGram, LSTM, Ensemble, SentencePiece, Batching, HTTP,
// Telemetry, BuildInfo, Yams and COpenSSL (API key hashing, model files' SHA-256).
// LMServeTools (client, load generator, LSTM probe) on LMCore, LSTM and hdrhistogram; the
// `lmserve` executable on Server, LMServeTools and the modules its subcommands call directly.
// HTTPBenchServer uses HTTP alone; the fuzzers HTTPParserFuzz (HTTP) and KenLMFuzz (NGram) share
// FuzzDriver (libFuzzer's entry point). Every library but SentencePiece, Ensemble and LMServeTools logs
// through swift-log. Each target lists exactly the modules its sources import.
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

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
        // Linux calls Swift cannot make directly (epoll's packed records, accept4/eventfd flags,
        // the signal self-pipe), as `lmserve_`-prefixed functions; libc only. The SQLite and
        // OpenSSL macros Swift cannot import are `static inline` functions in CSQLite's and
        // COpenSSL's own shim.h.
        .target(name: "CShims"),
        // SentencePiece's C++ processor behind a C face (libsentencepiece-dev).
        .target(
            name: "CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece")]),
        // CPU detection (CPUID, XGETBV) and the LSTM's products with packed weights plus its
        // log-softmax loops: scalar, AVX2 + FMA and AVX-512 paths, one chosen at run time.
        // Optimised in debug builds too: at -O0 the kernels keep their accumulators in memory
        // and the LSTM tests (the reference model through them) take many times longer.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

        .target(name: "LMCore", dependencies: [logging]),
        .target(name: "NGram", dependencies: ["LMCore", "CZlib", logging]),
        .target(name: "LSTM", dependencies: ["LMCore", "CBLAS", "CKernels", logging]),
        .target(name: "SentencePiece", dependencies: ["LMCore", "CSentencePiece"]),
        // Interpolated mixtures of loaded models (`type: ensemble`), and their weight tuning.
        .target(name: "Ensemble", dependencies: ["LMCore"]),
        .target(
            name: "Batching",
            dependencies: ["LMCore", .product(name: "DequeModule", package: "swift-collections"), logging]),
        .target(name: "HTTP", dependencies: ["COpenSSL", "CShims", logging]),
        .target(
            name: "Telemetry",
            dependencies: ["CSQLite", logging, .product(name: "Prometheus", package: "swift-prometheus")]),
        // Version and git commit (written before each build by the BuildCommit plugin).
        .target(name: "BuildInfo", plugins: ["BuildCommit"]),
        .plugin(name: "BuildCommit", capability: .buildTool()),
        .target(
            name: "Server",
            dependencies: [
                "LMCore", "NGram", "LSTM", "Ensemble", "Batching", "HTTP", "Telemetry", "BuildInfo", "SentencePiece", "COpenSSL", logging,
                .product(name: "Yams", package: "Yams"),
            ],
            // The web console's page, scripts and styles, compiled into the binary.
            resources: [.embedInCode("Console/Web")]),
        // What the executables and end-to-end tests use but the server never runs: the blocking
        // HTTP client, `lmserve bench`'s load generator and report, the LSTM throughput probe.
        .target(
            name: "LMServeTools",
            dependencies: ["LMCore", "LSTM", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .executableTarget(
            name: "lmserve",
            dependencies: [
                "Server", "LMServeTools", "LMCore", "NGram", "LSTM", "Ensemble", "Telemetry", "HTTP", "BuildInfo", logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tiny echo server on HTTP for Benchmarks/http-wrk.sh, and the request-parser fuzzer (Fuzz/run.sh).
        .executableTarget(name: "HTTPBenchServer", dependencies: ["HTTP", logging]),
        .executableTarget(name: "HTTPParserFuzz", dependencies: ["HTTP", "FuzzDriver"], path: "Fuzz/Sources/HTTPParserFuzz"),
        // The KenLM binary reader fuzzer (Fuzz/kenlm.sh).
        .executableTarget(name: "KenLMFuzz", dependencies: ["NGram", "LMCore", "FuzzDriver"], path: "Fuzz/Sources/KenLMFuzz"),
        // libFuzzer's entry point, shared by the two fuzzers.
        .target(name: "FuzzDriver", path: "Fuzz/Sources/FuzzDriver"),

        .testTarget(name: "LMCoreTests", dependencies: ["LMCore"]),
        .testTarget(name: "SentencePieceTests", dependencies: ["SentencePiece", "LMCore", "NGram"]),
        .testTarget(name: "NGramTests", dependencies: ["NGram", "LMCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LSTMTests", dependencies: ["LSTM", "LMCore", "CKernels"]),
        // Manual clock, gate and observed values that scheduler tests wait on.
        .target(name: "SchedulerTesting", dependencies: ["Batching"], path: "Tests/SchedulerTesting"),
        .testTarget(name: "BatchingTests", dependencies: ["Batching", "LMCore", "NGram", "SchedulerTesting"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "LMServeTools"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "LMServeTools", "HTTP", "Telemetry", "LMCore", "NGram", "Ensemble", "Batching", "SchedulerTesting",
                .product(name: "Yams", package: "Yams"),
            ]),
    ],
    cxxLanguageStandard: .cxx17
)
