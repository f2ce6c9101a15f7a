import Batching
import Foundation
import LMCore
import NGram
import Testing
@testable import Server

@Suite struct ConfigurationTests {
    @Test func readsEveryKeyAndResolvesPaths() throws {
        let dir = TempDir()
        let file = dir.path("lmserve.yaml")
        try """
            host: 0.0.0.0
            port: 9000
            log_level: debug
            models:
              - name: a
                path: models/a.arpa
                tokenizer: basic
                batching: {max_batch_size: 8, max_queue_size: 3}
                defaults: {max_tokens: 7, temperature: 0.5}
            batching: {max_batch_size: 32, max_queue_delay_us: 250}
            limits: {max_tokens: 99, max_n: 2, request_timeout_ms: 1234}
            telemetry: {db: logs.db, log_text: true, log_retention: 7d, metrics_sample_interval_s: 5}
            tls: {cert: c.pem, key: k.pem}
            auth: {keys_file: keys.json, public_metrics: true}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let c = try ServerConfiguration.load(file: file)
        #expect(c.host == "0.0.0.0" && c.port == 9000 && c.logLevel == "debug")
        #expect(c.models.count == 1 && c.models[0].tokenizer == .basic)
        #expect(c.models[0].path == dir.path("models/a.arpa"))
        #expect(c.batching(for: c.models[0]).maxBatchSize == 8)
        #expect(c.batching(for: c.models[0]).maxQueueSize == 3)
        #expect(c.batching(for: c.models[0]).maxQueueDelayMicroseconds == 250)
        #expect(c.models[0].defaults.maxTokens == 7)
        #expect(c.limits.maxTokens == 99 && c.limits.maxChoices == 2 && c.limits.requestTimeoutMilliseconds == 1234)
        #expect(c.database == dir.path("logs.db") && c.logText && c.logRetentionSeconds == 7 * 86400)
        #expect(c.tlsCertificate == dir.path("c.pem"))
        #expect(c.keysFile == dir.path("keys.json") && c.publicMetrics)
        // log_text on 0.0.0.0 is valid only because API keys are on.
        #expect(c.validate().isEmpty)
    }

    @Test func rejectsUnknownKeysAndBadValues() throws {
        let dir = TempDir()
        let cases: [(String, String)] = [
            ("portt: 1", "unknown key 'portt'"),
            ("port: high", "'port' must be a whole number"),
            ("models: {a: 1}", "'models' must be a list"),
            ("models:\n  - {name: a}", "'models[0].path' is required"),
            ("models:\n  - {name: a, path: p, tokenizer: spacy}", "'models[0].tokenizer' must be whitespace, basic or sentencepiece:FILE.model"),
            ("telemetry: {log_retention: forever}", "'telemetry.log_retention' must be a duration"),
            ("limits: {max_tokenz: 3}", "unknown key 'limits.max_tokenz'"),
            (": : :", "not valid YAML"),
        ]
        for (text, message) in cases {
            let file = dir.path("c.yaml")
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            do {
                _ = try ServerConfiguration.load(file: file)
                Issue.record("accepted: \(text)")
            } catch let error as ConfigurationError {
                #expect(error.message.contains(message), "\(text) → \(error.message)")
            }
        }
    }

    @Test func validationListsProblems() {
        var c = ServerConfiguration()
        #expect(c.validate().contains { $0.hasPrefix("no models") })
        c.models = [.init(name: "a", path: "x"), .init(name: "a", path: "y")]
        c.batching.maxBatchSize = 0
        c.tlsCertificate = "c.pem"
        let problems = c.validate()
        #expect(problems.contains { $0.contains("appears twice") })
        #expect(problems.contains { $0.contains("max_batch_size") })
        #expect(problems.contains { $0.contains("TLS needs both") })
    }

    @Test func serverRefusesAModelThatFailsToLoad() async throws {
        let dir = TempDir()
        let bad = dir.path("bad.arpa")
        try "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n".write(toFile: bad, atomically: true, encoding: .utf8)
        await #expect(throws: ModelLoadError.self) {
            _ = try await RunningServer.start { c in c.models = [.init(name: "bad", path: bad)] }
        }
        await #expect(throws: ModelLoadError.self) {
            _ = try await RunningServer.start { c in c.models = [.init(name: "missing", path: dir.path("none.arpa"))] }
        }
    }

    /// `batching.workers` is decided once and reaches both the scheduler and the model it runs.
    @Test func oneThreadCountReachesSchedulerAndModel() async throws {
        let server = try await RunningServer.start { c in
            c.models = [.init(name: "edge", path: Shared.path("reference/kenlm/edge.arpa"))]
            c.batching.workerCount = 3
        }
        let served = try server.server.registry.lease(named: "edge").model
        let scheduler = try #require(served.engine as? BatchScheduler<NGramModel>)
        #expect(scheduler.configuration.workerCount == 3)
        #expect(scheduler.model.threads == 3)
        await server.stop()
    }
}
