import Foundation
import Testing
@testable import Telemetry

@Suite struct RequestQueryTests {
    /// 210 mixed records written through the log, plus the same records in memory to check against.
    static func makeLog(_ dir: TempDirectory) throws -> (path: String, records: [RequestRecord]) {
        let path = dir.path("q.db")
        let records = (0..<210).map { makeRecord($0) }
        let log = try SQLiteRequestLog(path: path, logger: testLogger)
        records.forEach(log.record)
        log.close()
        return (path, records)
    }

    @Test func filtersMatchAnInMemoryFilter() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (path, records) = try Self.makeLog(dir)
        let reader = try RequestLogReader(path: path)
        let newestFirst = records.sorted { $0.time > $1.time }
        let cases: [(RequestQuery, (RequestRecord) -> Bool)] = [
            (RequestQuery(limit: 1000), { _ in true }),
            (RequestQuery(model: "kenlm-5", limit: 1000), { $0.model == "kenlm-5" }),
            (RequestQuery(route: "/v1/completions", limit: 1000), { $0.route == "/v1/completions" }),
            (RequestQuery(status: try .init(parsing: "5xx"), limit: 1000), { $0.status >= 500 }),
            (RequestQuery(status: try .init(parsing: "404"), limit: 1000), { $0.status == 404 }),
            (RequestQuery(status: try .init(parsing: "4XX"), limit: 1000), { (400..<500).contains($0.status) }),
            (RequestQuery(since: 1_700_000_100, model: "lstm-2", status: .statusClass(2), limit: 1000),
             { $0.time >= 1_700_000_100 && $0.model == "lstm-2" && $0.status / 100 == 2 }),
            (RequestQuery(limit: 7), { _ in true }),
            (RequestQuery(limit: 7, offset: 7), { _ in true }),
            (RequestQuery(model: "lstm-2", limit: 25, offset: 50), { $0.model == "lstm-2" }),
        ]
        for (query, predicate) in cases {
            let expected = Array(newestFirst.filter(predicate).dropFirst(query.offset).prefix(query.limit))
            #expect(!expected.isEmpty)
            #expect(try reader.requests(matching: query) == expected, "\(query)")
        }
        // Pages follow one another with neither gap nor overlap; past the end is empty.
        let pages = try (0..<5).flatMap { try reader.requests(matching: RequestQuery(limit: 50, offset: $0 * 50)) }
        #expect(pages == newestFirst)
        #expect(try reader.requests(matching: RequestQuery(offset: records.count)).isEmpty)
        // A model name that looks like SQL matches nothing and breaks nothing.
        #expect(try reader.requests(matching: RequestQuery(model: "x' OR '1'='1")).isEmpty)
    }

    @Test func statusFilterParsing() throws {
        #expect(try RequestQuery.StatusFilter(parsing: "5xx") == .statusClass(5))
        #expect(try RequestQuery.StatusFilter(parsing: "404") == .code(404))
        #expect(try RequestQuery.StatusFilter(parsing: "404").range == 404...404)
        #expect(try RequestQuery.StatusFilter(parsing: "2xx").range == 200...299)
        for bad in ["", "5x", "6xx", "99", "1000", "abc", "5xxx", "-200"] {
            #expect(throws: RequestLogError.invalidStatusFilter(bad)) { try RequestQuery.StatusFilter(parsing: bad) }
        }
    }

    @Test func statsMatchHandComputedValues() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (path, records) = try Self.makeLog(dir)
        let stats = try RequestLogReader(path: path).stats(matching: RequestQuery())
        #expect(stats.overall.count == records.count)
        #expect(stats.byRoute.map(\.key) == ["/v1/completions", "/v1/models", "/v1/perplexity"])
        #expect(stats.byModel.map(\.key) == ["", "kenlm-5", "lstm-2"])
        for group in stats.byRoute + stats.byModel + [stats.overall] {
            let members = records.filter {
                group.key == "all" || $0.route == group.key
                    || (stats.byModel.contains { $0.key == group.key } && ($0.model ?? "") == group.key)
            }
            let latencies = members.map(\.latencyMs).sorted()
            let errors = members.filter { $0.status >= 400 }.count
            let tokens = members.reduce(0) { $0 + $1.totalTokens }
            #expect(group.count == members.count, "\(group.key)")
            #expect(group.errors == errors)
            #expect(group.serverErrors == members.filter { $0.status >= 500 }.count)
            #expect(group.errorRate == Double(errors) / Double(members.count))
            // Nearest rank: the ceil(p·n)-th smallest.
            #expect(group.p50LatencyMs == latencies[Int((0.5 * Double(latencies.count)).rounded(.up)) - 1])
            #expect(group.p90LatencyMs == latencies[Int((0.9 * Double(latencies.count)).rounded(.up)) - 1])
            #expect(group.p99LatencyMs == latencies[Int((0.99 * Double(latencies.count)).rounded(.up)) - 1])
            #expect(group.tokens == tokens)
            #expect(abs(group.tokensPerSecond - Double(tokens) / (latencies.reduce(0, +) / 1000)) < 1e-9)
        }
        let recent = try RequestLogReader(path: path).stats(matching: RequestQuery(since: 1_700_000_200))
        #expect(recent.overall.count == 10)
    }

    @Test func percentileEdgeCases() {
        #expect(RequestStats.percentile(0.5, ofSorted: []) == 0)
        #expect(RequestStats.percentile(0.99, ofSorted: [3]) == 3)
        let hundred = (1...100).map(Double.init)
        #expect(RequestStats.percentile(0.5, ofSorted: hundred) == 50)
        #expect(RequestStats.percentile(0.9, ofSorted: hundred) == 90)
        #expect(RequestStats.percentile(0.99, ofSorted: hundred) == 99)
        #expect(RequestStats.percentile(1, ofSorted: hundred) == 100)
        #expect(RequestStats(samples: []).overall.count == 0)
    }

    @Test func jsonUsesColumnNamesAndRoundTrips() throws {
        var record = makeRecord(0)
        record.perplexity = .infinity
        let line = RequestLogJSON.line(record)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["request_id"] as? String == "req-0")
        #expect(object["latency_ms"] as? Double == 0.5)
        #expect(object["perplexity"] as? String == "inf")
        let stats = RequestStats(samples: [.init(time: 0, route: "/r", model: "m", status: 500, latencyMs: 2, tokens: 4)])
        let statsObject = try #require(
            try JSONSerialization.jsonObject(with: RequestLogJSON.stats(stats)) as? [String: Any])
        let overall = try #require(statsObject["overall"] as? [String: Any])
        #expect(overall["error_rate"] as? Double == 1)
        #expect(overall["tokens_per_second"] as? Double == 2000)
        #expect((statsObject["by_route"] as? [Any])?.count == 1)
    }
}

@Suite struct RequestQueryParameterTests {
    @Test func parsesAdminParameters() throws {
        let query = try RequestQuery(
            parameters: ["since": "1h", "model": "kenlm-5", "route": "/v1/perplexity", "status": "5xx", "limit": "20", "offset": "40",
                         "x": "y"],
            now: 10_000)
        #expect(
            query
                == RequestQuery(
                    since: 6400, model: "kenlm-5", route: "/v1/perplexity", status: .statusClass(5), limit: 20, offset: 40))
        #expect(try RequestQuery(parameters: [:], now: 0) == RequestQuery(limit: 100))
    }

    @Test(arguments: [["since": "soon"], ["limit": "0"], ["limit": "many"], ["limit": "10001"], ["status": "99"], ["offset": "-1"], ["offset": "ten"], ["offset": "1000001"]])
    func rejectsBadParameters(_ parameters: [String: String]) {
        let error = #expect(throws: RequestLogError.self) { try RequestQuery(parameters: parameters, now: 0) }
        #expect(error?.description.contains("invalid") == true)
    }
}
