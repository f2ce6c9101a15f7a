import Foundation
import Testing
import LMServeTools
@testable import Telemetry

@Suite struct ServerMetricsTests {
    /// Parses exposition text with python prometheus_client and prints one JSON sample per line.
    static let parserScript = """
        import json, sys
        try:
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError:
            sys.stderr.write("python3 module prometheus_client is missing: pip install prometheus_client\\n")
            sys.exit(3)
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                print(json.dumps({"family": family.name, "type": family.type, "name": s.name,
                                  "labels": s.labels, "value": s.value}))
        """

    struct ParsedSample: Decodable {
        var family: String
        var type: String
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The reference parser's reading of `text`; records an issue if python or the module is absent.
    static func parseWithPrometheusClient(_ text: String) throws -> [ParsedSample]? {
        let result: (status: Int32, stdout: String, stderr: String)
        do {
            result = try runPython(parserScript, input: text)
        } catch {
            Issue.record("python3 is required to check /metrics with prometheus_client: \(error)")
            return nil
        }
        guard result.status == 0 else {
            Issue.record("prometheus_client rejected the exposition (exit \(result.status)): \(result.stderr)")
            return nil
        }
        return try result.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(ParsedSample.self, from: Data($0.utf8))
        }
    }

    /// Records a known mix of requests and returns the expected request counts per label set.
    static func recordTraffic(_ metrics: ServerMetrics) -> [[String: String]: Double] {
        var expected: [[String: String]: Double] = [:]
        let traffic: [(String, String, Int, Int)] = [
            ("/v1/perplexity", "kenlm-5", 200, 40), ("/v1/perplexity", "kenlm-5", 400, 3),
            ("/v1/perplexity", "lstm-2", 200, 11), ("/v1/completions", "lstm-2", 200, 7),
            ("/v1/completions", "lstm-2", 503, 5), ("/v1/completions", "lstm-2", 504, 1),
            ("/v1/models", "", 200, 2), ("/v1/perplexity", "weird \"name\"\\\n", 404, 1),
        ]
        for (route, model, status, count) in traffic {
            for index in 0..<count {
                metrics.requestStarted()
                metrics.recordRequest(route: route, model: model, status: status, durationSeconds: Double(index) * 0.0004)
                metrics.requestFinished()
            }
            expected[["route": route, "model": model, "status": ServerMetrics.statusClass(status)], default: 0] += Double(count)
        }
        return expected
    }

    @Test func expositionParsesAndCountersMatch() throws {
        let metrics = ServerMetrics()
        let expected = Self.recordTraffic(metrics)
        metrics.requestStarted()  // one still in flight
        metrics.recordQueueWait(model: "kenlm-5", seconds: 0.00015)
        metrics.recordCompute(model: "kenlm-5", seconds: 0.002)
        for size in [1, 3, 64, 200, 256] { metrics.recordBatch(model: "kenlm-5", size: size) }
        metrics.setQueueDepth(model: "kenlm-5", 17)
        metrics.addTokens(model: "kenlm-5", kind: .scored, count: 1234)
        metrics.addTokens(model: "lstm-2", kind: .prompt, count: 10)
        metrics.addTokens(model: "lstm-2", kind: .completion, count: 32)
        metrics.recordTimeToFirstToken(model: "lstm-2", seconds: 0.03)
        metrics.recordRejection(reason: "queue_full")
        metrics.recordRejection(reason: "queue_full")
        metrics.recordRejection(reason: "too_large")
        metrics.setModelInfo(name: "kenlm-5", type: "ngram", order: 5)
        metrics.setModelInfo(name: "lstm-2", type: "lstm", layers: 2)
        metrics.logRowsWritten(99)
        metrics.logRowsDropped(0)

        let text = metrics.render()
        guard let samples = try Self.parseWithPrometheusClient(text) else { return }
        func values(_ name: String) -> [[String: String]: Double] {
            Dictionary(samples.filter { $0.name == name }.map { ($0.labels, $0.value) }, uniquingKeysWith: +)
        }
        #expect(values("lmserve_requests_total") == expected)
        let durationCounts = values("lmserve_request_duration_seconds_count")
        #expect(durationCounts[["route": "/v1/completions", "model": "lstm-2"]] == 13)
        #expect(durationCounts.values.reduce(0, +) == expected.values.reduce(0, +))
        // Buckets are cumulative; 0.0001 s is the first, +Inf holds everything.
        let buckets = samples.filter {
            $0.name == "lmserve_request_duration_seconds_bucket" && $0.labels["model"] == "kenlm-5"
                && $0.labels["route"] == "/v1/perplexity"
        }
        #expect(Set(buckets.compactMap { $0.labels["le"].flatMap { PrometheusText.parseValue($0[...]) } })
            == Set(ServerMetrics.durationBuckets + [.infinity]))
        #expect(buckets.first { $0.labels["le"] == "0.0001" }?.value == 2)  // the two 0 s requests
        #expect(buckets.first { $0.labels["le"] == "+Inf" }?.value == 43)
        #expect(values("lmserve_inflight_requests") == [[:]: 1])
        #expect(values("lmserve_queue_duration_seconds_count") == [["model": "kenlm-5"]: 1])
        #expect(values("lmserve_compute_duration_seconds_sum") == [["model": "kenlm-5"]: 0.002])
        let batch = values("lmserve_batch_size_bucket")
        #expect(batch[["model": "kenlm-5", "le": "4.0"]] == 2)
        #expect(batch[["model": "kenlm-5", "le": "128.0"]] == 3)
        #expect(batch[["model": "kenlm-5", "le": "256.0"]] == 5)
        #expect(values("lmserve_queue_depth") == [["model": "kenlm-5"]: 17])
        #expect(values("lmserve_tokens_total") == [
            ["model": "kenlm-5", "kind": "scored"]: 1234, ["model": "lstm-2", "kind": "prompt"]: 10,
            ["model": "lstm-2", "kind": "completion"]: 32,
        ])
        #expect(values("lmserve_time_to_first_token_seconds_count") == [["model": "lstm-2"]: 1])
        #expect(values("lmserve_rejected_requests_total") == [["reason": "queue_full"]: 2, ["reason": "too_large"]: 1])
        #expect(values("lmserve_model_info") == [
            ["name": "kenlm-5", "type": "ngram", "order": "5", "layers": "", "version": ""]: 1,
            ["name": "lstm-2", "type": "lstm", "order": "", "layers": "2", "version": ""]: 1,
        ])
        #expect(values("lmserve_log_rows_written_total") == [[:]: 99])
        #expect(values("lmserve_log_rows_dropped_total") == [[:]: 0])
        let types = Dictionary(samples.map { ($0.family, $0.type) }, uniquingKeysWith: { a, _ in a })
        #expect(types["lmserve_requests"] == "counter")
        #expect(types["lmserve_request_duration_seconds"] == "histogram")
        #expect(types["lmserve_queue_depth"] == "gauge")
        #expect(types["process_cpu_seconds"] == "counter")
        // Process metrics from /proc.
        let rss = try #require(samples.first { $0.name == "process_resident_memory_bytes" }?.value)
        #expect(rss > 1_000_000)
        #expect((samples.first { $0.name == "process_open_fds" }?.value ?? 0) >= 3)
        let start = try #require(samples.first { $0.name == "process_start_time_seconds" }?.value)
        #expect(start <= Date().timeIntervalSince1970 && start > Date().timeIntervalSince1970 - 86_400 * 30)
        #expect(samples.contains { $0.name == "process_cpu_seconds_total" && $0.value > 0 })
    }

    /// Prometheus's conventions (`promtool check metrics` checks them on a live server in
    /// scripts/scale-out.sh): every family has a non-empty `# HELP` before its `# TYPE`.
    @Test func everyFamilyHasHelpText() throws {
        let metrics = ServerMetrics()
        _ = Self.recordTraffic(metrics)
        metrics.recordQueueWait(model: "m", seconds: 0.001)
        metrics.recordCompute(model: "m", seconds: 0.001)
        metrics.recordTimeToFirstToken(model: "m", seconds: 0.001)
        metrics.recordBatch(model: "m", size: 2)
        metrics.setQueueDepth(model: "m", 1)
        metrics.addTokens(model: "m", kind: .scored, count: 1)
        metrics.recordRejection(reason: "queue_full")
        metrics.setModelInfo(name: "m", type: "ngram", order: 3)
        metrics.setModelLoadSeconds(model: "m", 0.5)
        metrics.setQueueCapacity(model: "m", 1024)
        metrics.setModelsConfigured(1)
        metrics.setReady(true)
        metrics.setBuildInfo(version: "1.2.3", commit: "abc123", blasCore: "Haswell")
        let lines = metrics.render().split(separator: "\n").map(String.init)
        var helped: Set<String> = []
        var typed: [String] = []
        for line in lines {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            if words.count >= 4, words[0] == "#", words[1] == "HELP" {
                #expect(!words[3].trimmingCharacters(in: .whitespaces).isEmpty, "empty help for \(words[2])")
                helped.insert(words[2])
            } else if words.count >= 3, words[0] == "#", words[1] == "TYPE" {
                #expect(helped.contains(words[2]), "\(words[2]) has no # HELP before its # TYPE")
                typed.append(words[2])
            } else if words.count == 3, words[0] == "#", words[1] == "HELP" {
                Issue.record("empty help for \(words[2])")
            }
        }
        #expect(typed.count == Set(typed).count, "a family is declared twice")
        for family in [
            "lmserve_requests_total", "lmserve_request_duration_seconds", "lmserve_queue_duration_seconds",
            "lmserve_compute_duration_seconds", "lmserve_time_to_first_token_seconds", "lmserve_batch_size",
            "lmserve_queue_depth", "lmserve_queue_capacity", "lmserve_tokens_total", "lmserve_rejected_requests_total",
            "lmserve_inflight_requests", "lmserve_log_rows_written_total", "lmserve_log_rows_dropped_total",
            "lmserve_log_write_retries_total",
            "lmserve_model_info", "lmserve_model_load_seconds", "lmserve_models_configured", "lmserve_ready",
            "lmserve_build_info", "process_cpu_seconds_total", "process_resident_memory_bytes",
            "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds",
        ] {
            #expect(typed.contains(family), "\(family) is not exposed")
        }
        guard let samples = try Self.parseWithPrometheusClient(lines.joined(separator: "\n") + "\n") else { return }
        #expect(samples.first { $0.name == "lmserve_build_info" }?.labels
            == ["version": "1.2.3", "commit": "abc123", "blas_core": "Haswell"])
        #expect(samples.first { $0.name == "lmserve_queue_capacity" }?.value == 1024)
        #expect(samples.first { $0.name == "lmserve_ready" }?.value == 1)
        let virtual = try #require(samples.first { $0.name == "process_virtual_memory_bytes" }?.value)
        let resident = try #require(samples.first { $0.name == "process_resident_memory_bytes" }?.value)
        #expect(virtual >= resident)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        #expect(samples.first { $0.name == "process_max_fds" }?.value == Double(limit.rlim_cur))
    }

    /// A model's new version replaces its `lmserve_model_info` series; an unloaded model's goes.
    @Test func modelInfoFollowsTheVersion() throws {
        let metrics = ServerMetrics()
        func infos() -> [String] {
            PrometheusText.samples(in: metrics.render()).filter { $0.name == "lmserve_model_info" }.map(\.labels).sorted()
        }
        metrics.setModelInfo(name: "m", type: "ngram", order: 3, version: "aaa-1")
        metrics.setModelInfo(name: "k", type: "lstm", layers: 2, version: "ccc-1")
        metrics.setModelInfo(name: "m", type: "ngram", order: 3, version: "bbb-2")
        #expect(infos().count == 2)
        #expect(infos().contains { $0.contains(#"version="bbb-2""#) && $0.contains(#"name="m""#) })
        #expect(!infos().contains { $0.contains("aaa-1") })
        metrics.removeModelInfo(name: "m")
        #expect(infos().count == 1 && infos()[0].contains(#"name="k""#))
    }

    @Test func instancesAreIndependent() throws {
        let a = ServerMetrics(), b = ServerMetrics()
        a.recordRejection(reason: "queue_full")
        #expect(a.render().contains("lmserve_rejected_requests_total{reason=\"queue_full\"} 1"))
        #expect(!b.render().contains("lmserve_rejected_requests_total"))
        // Fresh instances expose the always-present series at zero.
        #expect(b.render().contains("lmserve_log_rows_dropped_total 0\n"))
        #expect(b.render().contains("lmserve_inflight_requests 0"))
        #expect(ServerMetrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test func statusClasses() {
        #expect(ServerMetrics.statusClass(200) == "2xx")
        #expect(ServerMetrics.statusClass(404) == "4xx")
        #expect(ServerMetrics.statusClass(599) == "5xx")
        #expect(ServerMetrics.statusClass(42) == "other")
    }

    @Test func samplerStoresSnapshotsThroughTheWriter() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let metrics = ServerMetrics()
        let log = try SQLiteRequestLog(path: dir.path("samples.db"), metrics: metrics, logger: testLogger)
        _ = Self.recordTraffic(metrics)
        let sampler = MetricSampler(metrics: metrics, log: log, interval: 3600, clock: { 1_750_000_000 })
        sampler.start()  // first tick is an hour away: only sampleNow() writes here
        sampler.sampleNow()
        metrics.recordRequest(route: "/v1/models", model: "", status: 200, durationSeconds: 0.001)
        sampler.sampleNow()
        sampler.stop()
        log.close()
        let reader = try RequestLogReader(path: dir.path("samples.db"))
        let requests = try reader.metricSamples(name: "lmserve_requests_total")
        let models = requests.filter { $0.labels == #"route="/v1/models",model="",status="2xx""# }
        #expect(models.map(\.value) == [2, 3])
        #expect(requests.allSatisfy { $0.time == 1_750_000_000 })
        let all = try reader.metricSamples()
        #expect(!all.contains { $0.name.hasSuffix("_bucket") })
        #expect(all.contains { $0.name == "process_resident_memory_bytes" })
        #expect(all.contains { $0.name == "lmserve_request_duration_seconds_count" })
    }

    @Test func textFormatSampleParsing() {
        let text = """
            # TYPE x counter
            x 3
            y{a="q\\"}",b="c"} 1.5e-05
            z{le="+Inf"} +Inf
            garbage
            """
        let samples = PrometheusText.samples(in: text)
        #expect(samples.map(\.name) == ["x", "y", "z"])
        #expect(samples[1].labels == #"a="q\"}",b="c""#)
        #expect(samples[1].value == 1.5e-05)
        #expect(samples[2].value == .infinity)
        #expect(PrometheusText.format(3) == "3")
        #expect(PrometheusText.format(.infinity) == "+Inf")
    }
}
