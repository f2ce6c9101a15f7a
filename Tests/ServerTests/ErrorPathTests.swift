import Logging
import LMCore
import Batching
import Foundation
import HTTP
import SchedulerTesting
import LMServeTools
import Testing
@testable import Server

@Suite struct ErrorPathTests {
    func expectError(
        _ response: HTTPClient.Response, _ status: Int, _ code: String?, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        if let code { #expect(errorCode(response) == code, "\(response.text)", sourceLocation: sourceLocation) }
        #expect(response.header("X-Request-Id")?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func malformedBodies() async throws {
        let s = try await SharedServer.shared.get()
        for route in ["/v1/perplexity", "/v1/completions"] {
            expectError(try s.post(route, "{not json"), 400, "invalid_json")
            expectError(try s.post(route, ""), 400, "invalid_json")
            expectError(try s.post(route, "[1,2]"), 400, "invalid_json")
            expectError(try s.post(route, "{}"), 400, "invalid_field")
            expectError(try s.post(route, #"{"model": 5}"#), 400, "invalid_field")
            expectError(try s.post(route, #"{"model": "nope", "text": "a", "prompt": "a"}"#), 404, "model_not_found")
        }
    }

    @Test func perplexityFields() async throws {
        let s = try await SharedServer.shared.get()
        let cases: [(String, String)] = [
            (#"{"model": "kjv3"}"#, "'text' is required (or texts)"),
            (#"{"model": "kjv3", "text": "a", "texts": ["b"]}"#, "'text' give either text or texts, not both"),
            (#"{"model": "kjv3", "texts": [1]}"#, "'texts[0]' must be a string"),
            (#"{"model": "kjv3", "text": "a", "tokenizer": "spacy"}"#, "'tokenizer'"),
            (#"{"model": "kjv3", "text": "a", "timeout_ms": 0}"#, "'timeout_ms' must be between 1 and 86400000 milliseconds"),
            (#"{"model": "kjv3", "text": "a", "per_token": "yes"}"#, "'per_token' must be true or false"),
            // Numbers an integer field cannot hold (Foundation gives no path for these).
            (#"{"model": "kjv3", "text": "a", "per_token": true, "timeout_ms": 1.5}"#, "'timeout_ms' must be an integer in range"),
            (#"{"model": "kjv3", "text": "a", "timeout_ms": 99999999999999999999}"#, "'timeout_ms' must be an integer in range"),
            (#"{"model": "kjv3", "texts": ["a", "b"], "timeout_ms": -1e30}"#, "'timeout_ms' must be an integer in range"),
        ]
        for (request, message) in cases {
            let r = try s.post("/v1/perplexity", request)
            expectError(r, 400, nil)
            let m = ((try json(r))["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(m.hasPrefix(message), "\(request) → \(m)")
        }
    }

    @Test func completionFields() async throws {
        let s = try await SharedServer.shared.get()
        let invalid: [String] = [
            #"{"model": "kjv3", "max_tokens": -1}"#, #"{"model": "kjv3", "n": 0}"#, #"{"model": "kjv3", "temperature": 11}"#,
            #"{"model": "kjv3", "top_p": 0}"#, #"{"model": "kjv3", "top_k": -1}"#, #"{"model": "kjv3", "prompt": []}"#,
            #"{"model": "kjv3", "prompt": 7}"#, #"{"model": "kjv3", "stop": [1]}"#, #"{"model": "kjv3", "seed": -4}"#,
            #"{"model": "kjv3", "logprobs": -1}"#,
            #"{"model": "kjv3", "stop": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"]}"#,
        ]
        for request in invalid { expectError(try s.post("/v1/completions", request), 400, "invalid_field") }
        let fraction = try s.post("/v1/completions", #"{"model": "kjv3", "temperature": 0.5, "top_p": 0.9, "max_tokens": 2.5}"#)
        expectError(fraction, 400, "invalid_field")
        #expect(((try json(fraction))["error"] as? [String: Any])?["message"] as? String == "'max_tokens' must be an integer in range")
        let overLimit: [String] = [
            #"{"model": "kjv3", "max_tokens": 65}"#, #"{"model": "kjv3", "n": 5}"#, #"{"model": "kjv3", "logprobs": 21}"#,
        ]
        for request in overLimit { expectError(try s.post("/v1/completions", request), 400, "limit_exceeded") }
    }

    @Test func routesAndMethods() async throws {
        let s = try await SharedServer.shared.get()
        expectError(try s.get("/v1/nothing"), 404, "not_found")
        expectError(try s.get("/v1/models/nope"), 404, "model_not_found")
        let r = try s.get("/v1/perplexity")
        expectError(r, 405, "method_not_allowed")
        #expect(r.header("Allow") == "POST")
        expectError(try s.client().request("DELETE", "/health"), 405, "method_not_allowed")
        expectError(try s.get("/admin/requests"), 404, "log_disabled")
        // The request id is echoed.
        let echoed = try s.client().request("GET", "/health", headers: [("X-Request-Id", "abc-123")])
        #expect(echoed.header("X-Request-Id") == "abc-123")
    }

    @Test func bodyOverTheLimitIs413() async throws {
        let s = try await SharedServer.shared.get()
        let big = String(repeating: "a ", count: (9 << 20) / 2)
        let r = try s.post("/v1/perplexity", body(["model": "kjv3", "text": big]))
        #expect(r.status == 413)
        // The HTTP layer's own rejection carries the server's envelope.
        expectError(r, 413, "payload_too_large")
        // The server still answers.
        #expect(try s.get("/health").status == 200)
    }

    @Test func connectionsOverThePerClientLimitGet503WithTheEnvelope() async throws {
        let s = try await RunningServer.start { c in
            c.models = [.init(name: "edge", path: Shared.path("reference/kenlm/edge.arpa"))]
            c.limits.maxConnectionsPerClient = 2
        }
        let a = try s.client(), b = try s.client()
        #expect(try a.request("GET", "/health").status == 200)
        #expect(try b.request("GET", "/health").status == 200)
        // A third connection from the same address, while both stay open.
        let r = try s.get("/health")
        expectError(r, 503, "over_capacity")
        #expect(r.text.contains("too many connections from this client"), "\(r.text)")
        a.close()
        b.close()
        await s.stop()
    }

    @Test func deadlinePassedIs504() async throws {
        let s = try await SharedServer.shared.get()
        let verse = "and god said , let there be light : and there was light .\n"
        let r = try s.post("/v1/perplexity", body(["model": "kjv3", "text": String(repeating: verse, count: 100_000), "timeout_ms": 1]))
        expectError(r, 504, "timeout")
        #expect(try s.post("/v1/perplexity", body(["model": "kjv3", "text": "a"])).status == 200)
    }

    /// The statuses and headers of the scheduler's and the API's own errors.
    @Test func errorMapping() {
        let full = BatchingError.queueFull(limit: 3).httpResponse
        #expect(full.status == .serviceUnavailable)
        #expect(full.headers["Retry-After"] == "1")
        #expect(BatchingError.timedOut(milliseconds: 5).httpResponse.status == .gatewayTimeout)
        #expect(BatchingError.shuttingDown.httpResponse.status == .serviceUnavailable)
        let notReady = APIError.notReady.httpResponse
        #expect(notReady.status == .serviceUnavailable)
        #expect(notReady.headers["Retry-After"] == "1")
        #expect(APIError.modelNotFound("x").httpResponse.status == .notFound)
    }

    /// The one error envelope, written by `ErrorResponses` for handlers, the router and the HTTP
    /// layer's rejections alike.
    @Test func errorBodyEscaping() {
        let e = HTTPResponse.error(.badRequest, message: "bad \"quote\"\n", type: "t", code: nil)
        if case .bytes(let b) = e.body {
            #expect(String(decoding: b, as: UTF8.self) == #"{"error":{"message":"bad \"quote\"\n","type":"t","code":null}}"#)
        }
        let rejection = ErrorResponses.render(HTTPError(.requestTimeout, message: "slow", type: "invalid_request_error", code: "request_timeout"))
        #expect(rejection.status == .requestTimeout)
        #expect(rejection.headers["Content-Type"] == "application/json")
    }

    @Test func registryNotReadyGives503() throws {
        let registry = ModelRegistry()
        #expect(throws: APIError.notReady) { _ = try registry.lease(named: "x") }
        registry.isStarted = true
        #expect(throws: APIError.modelNotFound("x")) { _ = try registry.lease(named: "x") }
    }
}

extension SlowModel {
    /// Serves a `SlowModel` as `slow` on `server` (one sequence at a time) and occupies its engine
    /// with a million-token completion, 200 ms a token, until the returned client goes away.
    static func serveBusy(on server: RunningServer) async throws -> HTTPClient {
        let slow = SlowModel()
        server.server.registry.add(
            ServedModel(
                spec: .init(name: "slow", path: "slow"), version: ModelVersion(sha256: "slow", modified: 0, size: 0), model: slow, tokenizer: .whitespace,
                batching: BatchingConfiguration(maxBatchSize: 1), hooks: SchedulerHooks(), loadSeconds: 0,
                logger: Logger(label: "test")))
        let busy = try server.client()
        try busy.send("POST", "/v1/completions", headers: [("Content-Type", "application/json")],
                      body: Array(body(["model": "slow", "max_tokens": 1_000_000]).utf8))
        await slow.steps.until { $0 > 0 }
        return busy
    }
}

/// A model whose every step takes 200 ms and almost never ends a sentence: it keeps an engine
/// busy for as long as a test needs, however loaded the machine is.
final class SlowModel: LanguageModel, Sendable {
    let vocabulary = Vocabulary(words: ["</s>", "<unk>", "a", "b"], unknown: 1, endOfSentence: 0, beginOfSentence: nil)
    var description: ModelDescription { ModelDescription(type: "lstm", format: "test", path: "slow", vocabularySize: 4) }
    /// Steps begun, for tests to wait on.
    let steps = Observed(0)

    func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore] {
        words.map { _ in TokenScore(id: 2, log10Prob: -0.30103, ngramLength: 0, isOOV: false) }
    }
    func initialState(sentenceContext: Bool) -> Int { 0 }
    func advance(_ states: inout [Int], by tokens: [TokenID]) {}
    func nextTokenLogProbs(_ states: [Int], into output: UnsafeMutableBufferPointer<Float>) {
        steps.update { $0 += 1 }
        // The step's compute, not a wait for an event: the server's deadlines run on the real
        // clock, so the engine must stay busy in real time while queued requests expire.
        Thread.sleep(forTimeInterval: 0.2)
        for row in states.indices {
            output[row * 4] = log(1e-12)  // `</s>` almost never: generation runs to max_tokens
            output[row * 4 + 1] = log(1e-12)
            output[row * 4 + 2] = log(0.5)
            output[row * 4 + 3] = log(0.5)
        }
    }
}

@Suite struct QueuedTimeoutTests {
    /// A streamed completion whose deadline passes while it is still queued gets a 504, not a
    /// 200 with a broken stream; a scoring request in the same position gets one too.
    @Test func queuedPastItsDeadlineIs504() async throws {
        // No server-wide deadline: however long this test waits for a thread
        // (the whole suite shares two cores), the busy request is still running when the
        // others arrive.
        let server = try await RunningServer.start { c in
            c.models = [.init(name: "edge", path: Shared.path("reference/kenlm/edge.arpa"))]
            c.limits.requestTimeoutMilliseconds = 0
            c.limits.maxTokens = 1_000_000
        }
        let busy = try await SlowModel.serveBusy(on: server)
        let streamed = try server.post(
            "/v1/completions", body(["model": "slow", "prompt": "a", "stream": true, "max_tokens": 4, "timeout_ms": 100]))
        #expect(streamed.status == 504, "\(streamed.text)")
        #expect(errorCode(streamed) == "timeout")
        let scored = try server.post("/v1/perplexity", body(["model": "slow", "text": "a", "timeout_ms": 100]))
        #expect(scored.status == 504, "\(scored.text)")
        // The busy client leaves; its generation is cancelled and the engine is free again.
        busy.close()
        let after = try server.post("/v1/completions", body(["model": "slow", "max_tokens": 2]))
        #expect(after.status == 200)
        await server.stop()
    }
}
