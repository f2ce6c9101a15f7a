import Foundation
import Telemetry
import Testing
@testable import Server

/// The log row and metrics take the error a request failed with as the handler threw it, and the
/// route as the router matched it.
@Suite struct InstrumentationTests {
    @Test func typedErrorsAndMatchedRoutes() async throws {
        let dir = TempDir()
        let db = dir.path("requests.db")
        let server = try await RunningServer.edge(loggingTo: db) { c in
            c.limits.requestTimeoutMilliseconds = 0
            c.limits.maxTokens = 1_000_000
        }
        // The next request to the busy slow engine waits past its deadline in the queue.
        let busy = try await SlowModel.serveBusy(on: server)
        #expect(try server.post("/v1/perplexity", body(["model": "slow", "text": "a", "timeout_ms": 100])).status == 504)
        busy.close()
        #expect(try server.get("/v1/models/nope").status == 404)
        #expect(try server.get("/no/such/route").status == 404)
        #expect(try server.post("/health", "{}").status == 405)

        let metrics = try server.get("/metrics").text
        #expect(metrics.contains(#"lmserve_rejected_requests_total{reason="timeout"} 1"#))
        #expect(!metrics.contains(#"reason="queue_full""#))
        #expect(metrics.contains(#"route="/v1/models/{id}""#))
        await server.stop()

        let reader = try RequestLogReader(path: db)
        defer { reader.close() }
        let rows = try reader.requests(matching: RequestQuery(limit: 1000))
        let timedOut = try #require(rows.first { $0.status == 504 })
        #expect(timedOut.route == "/v1/perplexity" && timedOut.errorType == "timeout_error")
        let missingModel = try #require(rows.first { $0.route == "/v1/models/{id}" })
        #expect(missingModel.status == 404 && missingModel.errorType == "not_found_error")
        let noRoute = try #require(rows.first { $0.route == "other" })
        #expect(noRoute.status == 404 && noRoute.errorType == "invalid_request_error")
        let wrongMethod = try #require(rows.first { $0.route == "/health" && $0.status == 405 })
        #expect(wrongMethod.errorType == "invalid_request_error")
    }
}
