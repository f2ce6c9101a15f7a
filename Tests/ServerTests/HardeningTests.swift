import Foundation
import Telemetry
import Testing
@testable import Server

/// What the attacker's probe of issue 19 found besides keys: non-JSON bodies, long values echoed
/// back, and TRACE.
@Suite struct HardeningTests {
    @Test func postBodiesMustBeDeclaredJSON() async throws {
        let s = try await SharedServer.shared.get()
        let json = Array(#"{"model":"edge","texts":["a b"]}"#.utf8)
        for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"] {
            let r = try s.client().request("POST", "/v1/perplexity", headers: [("Content-Type", type)], body: json)
            #expect(r.status == 415, "\(type)")
            #expect(errorCode(r) == "unsupported_media_type")
        }
        let undeclared = try s.client().request("POST", "/v1/completions", body: json)
        #expect(undeclared.status == 415)
        for type in ["application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json"] {
            #expect(try s.client().request("POST", "/v1/perplexity", headers: [("Content-Type", type)], body: json).status == 200, "\(type)")
        }
    }

    @Test func unknownMethodsOnKnownRoutesGet405WithAllow() async throws {
        let s = try await SharedServer.shared.get()
        let models = try s.client().request("TRACE", "/v1/models")
        #expect(models.status == 405)
        #expect(models.header("Allow") == "GET, HEAD")
        #expect(errorCode(models) == "method_not_allowed")
        let perplexity = try s.client().request("TRACE", "/v1/perplexity")
        #expect(perplexity.status == 405 && perplexity.header("Allow") == "POST")
        #expect(try s.client().request("TRACE", "/health").header("Allow") == "GET, HEAD")
        #expect(try s.client().request("BREW", "/metrics").status == 405)
    }

    /// A 10 KB model name or path comes back cut in the error and in the request log.
    @Test func echoedValuesAreBounded() async throws {
        let dir = TempDir()
        let db = dir.path("r.db")
        let s = try await RunningServer.edge(loggingTo: db)
        let name = String(repeating: "m", count: 10_000)
        let unknown = try s.post("/v1/perplexity", body(["model": name, "text": "a"]))
        #expect(unknown.status == 404)
        #expect(unknown.body.count < 400, "\(unknown.body.count) bytes")
        #expect(unknown.text.contains("…(10000 bytes)"))
        // The request line has its own limit (431 beyond it); 5,000 characters fit.
        let long = String(name.prefix(5_000))
        let path = try s.get("/v1/models/" + long)
        #expect(path.status == 404 && path.body.count < 400)
        let route = try s.get("/" + long)
        #expect(route.status == 404 && route.body.count < 400)
        let method = try s.client().request(String(repeating: "X", count: 5_000), "/health")
        #expect(method.status == 405 && method.body.count < 400)
        await s.stop()

        let reader = try RequestLogReader(path: db)
        defer { reader.close() }
        let rows = try reader.requests(matching: RequestQuery(route: "/v1/perplexity"))
        let logged = try #require(rows.first?.model)
        #expect(logged.count < 100 && logged.hasPrefix("mmmm"))
    }
}
