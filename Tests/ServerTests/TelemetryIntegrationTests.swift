import Foundation
import HTTP
import LMServeTools
import Testing
@testable import Server
@testable import Telemetry

@Suite struct TelemetryIntegrationTests {
    /// N requests (mixed routes, some failing) leave exactly N rows after a graceful shutdown,
    /// and /metrics counts them per route, model and status class.
    @Test func everyRequestLeavesARowAndMetrics() async throws {
        let dir = TempDir()
        let db = dir.path("requests.db")
        let server = try await RunningServer.edge(loggingTo: db) { c in c.logText = true }
        let weird = "quote \" ' -- ; DROP TABLE requests; \u{0} nul 🙂 emoji\nsecond line"
        var sent: [(route: String, status: Int)] = []
        func record(_ route: String, _ r: HTTPClient.Response) { sent.append((route, r.status)) }
        record("/v1/perplexity", try server.post("/v1/perplexity", body(["model": "edge", "text": weird])))
        for i in 0..<5 {
            record("/v1/perplexity", try server.post("/v1/perplexity", body(["model": "edge", "text": "looking on a little \(i)"])))
            record("/v1/completions", try server.post("/v1/completions", body(["model": "edge", "prompt": "looking", "max_tokens": 3, "seed": i])))
        }
        record("/v1/perplexity", try server.post("/v1/perplexity", body(["model": "nope", "text": "a"])))
        record("/v1/completions", try server.post("/v1/completions", "{bad"))
        record("/health", try server.get("/health"))
        // A streamed completion logs its tokens and text too.
        let streamed = try server.client()
        try streamed.send("POST", "/v1/completions", headers: [("Content-Type", "application/json")],
                          body: Array(body(["model": "edge", "prompt": "looking", "max_tokens": 3, "seed": 1, "stream": true]).utf8))
        #expect(try streamed.readHead().status == 200)
        while try streamed.readChunk() != nil {}
        sent.append(("/v1/completions", 200))
        // A request the HTTP layer refuses by itself (malformed request line) is logged as well.
        let raw = try server.client()
        let refused = try raw.request("GET", "/he alth")
        #expect(refused.status == 400)
        sent.append(("other", 400))
        record("/v1/models/{id}", try server.get("/v1/models/edge"))
        #expect(sent.filter { $0.status == 200 }.count == 14)

        let metricsText = try server.get("/metrics").text
        let counts = try prometheusCounts(metricsText)
        #expect(counts[#"/v1/perplexity|edge|2xx"#] == 6)
        #expect(counts[#"/v1/completions|edge|2xx"#] == 6)
        // Unknown model names never become label values.
        #expect(counts[#"/v1/perplexity|nope|4xx"#] == nil)
        #expect(counts[#"/v1/perplexity||4xx"#] == 1)
        #expect(counts[#"other||4xx"#] == 1)
        #expect(counts[#"/v1/completions||4xx"#] == 1)
        #expect(counts[#"/health||2xx"#] == 1)
        await server.stop()

        let reader = try RequestLogReader(path: db)
        defer { reader.close() }
        let rows = try reader.requests(matching: RequestQuery(limit: 1000))
        // The /metrics scrape is a request too.
        #expect(rows.count == sent.count + 1)
        let byStatus = Dictionary(grouping: rows, by: \.status).mapValues(\.count)
        #expect(byStatus[200] == 15)
        #expect(byStatus[404] == 1)
        #expect(byStatus[400] == 2)
        let streamedRow = try #require(rows.first { $0.route == "/v1/completions" && $0.status == 200 && ($0.promptText ?? "").isEmpty == false && $0.completionTokens > 0 && $0.outputText != nil })
        #expect(streamedRow.model == "edge")
        #expect(rows.contains { $0.route == "other" && $0.status == 400 })
        let weirdRow = try #require(rows.first { $0.promptText == weird })
        #expect(weirdRow.route == "/v1/perplexity")
        #expect(weirdRow.model == "edge")
        #expect(weirdRow.scoredTokens > 0)
        #expect(weirdRow.perplexity != nil)
        let failed = try #require(rows.first { $0.status == 404 })
        #expect(failed.errorType == "not_found_error")
        #expect(failed.model == "nope")
        let completion = try #require(rows.first { $0.route == "/v1/completions" && $0.status == 200 })
        #expect(completion.completionTokens > 0 && completion.promptTokens == 1)
        #expect(completion.queueMs != nil && completion.computeMs != nil && (completion.batchSize ?? 0) >= 1)
    }

    /// Runs python's prometheus_client parser; returns lmserve_requests_total by "route|model|status".
    func prometheusCounts(_ text: String) throws -> [String: Double] {
        let script = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for fam in text_string_to_metric_families(sys.stdin.read()):
                for s in fam.samples:
                    if s.name == "lmserve_requests_total":
                        out[s.labels["route"] + "|" + s.labels["model"] + "|" + s.labels["status"]] = s.value
            print(json.dumps(out))
            """
        let result = try runPython(script, input: text)
        guard result.status == 0 else {
            throw HTTPClient.Failure(description: "python3 with prometheus_client failed to parse /metrics (pip install prometheus_client)")
        }
        return try JSONDecoder().decode([String: Double].self, from: Data(result.stdout.utf8))
    }
}

@Suite struct AdminRequestsLockTests {
    /// Another process holding the request log locked makes `/admin/requests` a 503 with
    /// `Retry-After` (not the client's 400); once the lock goes the same query answers 200 and
    /// no row of the requests made meanwhile is lost.
    @Test func aLockedLogIs503WithRetryAfterThenReadsAgain() async throws {
        let dir = TempDir()
        let db = dir.path("requests.db")
        let server = try await RunningServer.edge(loggingTo: db)
        #expect(try server.get("/admin/requests?limit=1").status == 200)
        // Another process's write lock (it waits for the server's writer to finish a batch); the
        // query's connection checks the schema in a write transaction on open, so it meets it.
        let other = try SQLiteDatabase(path: db)
        try other.execute("BEGIN EXCLUSIVE")
        let locked = try server.get("/admin/requests?limit=5")
        #expect(locked.status == 503, "\(locked.text)")
        #expect(locked.header("Retry-After") == "1")
        let error = try #require(try JSONSerialization.jsonObject(with: Data(locked.text.utf8)) as? [String: Any])
        let detail = try #require(error["error"] as? [String: Any])
        #expect(detail["type"] as? String == "unavailable_error")
        #expect(detail["code"] as? String == "log_locked")
        #expect((detail["message"] as? String)?.contains("locked") == true)
        // A bad filter is still the client's error.
        #expect(try server.get("/admin/requests?status=abc").status == 400)
        try other.execute("ROLLBACK")
        other.close()
        let after = try server.get("/admin/requests?limit=100")
        #expect(after.status == 200, "\(after.text)")
        await server.stop()
        let rows = try RequestLogReader(path: db).requests(matching: RequestQuery(limit: 100))
        #expect(rows.filter { $0.route == "/admin/requests" }.map(\.status).sorted() == [200, 200, 400, 503])
    }
}
