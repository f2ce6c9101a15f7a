import Batching
import Foundation
import LMCore
import LMServeTools
import Logging
import SchedulerTesting
import Telemetry
import Testing
@testable import Server

/// Streams and deadlines as a client sees them (issue 14): a stream cut at the drain deadline,
/// a stream with more choices than the batch holds, a non-streamed request past its deadline.
@Suite(.serialized) struct DrainAndDeadlineTests {
    /// Serves `model` as `name` on `server` with `maxBatchSize`.
    static func serve<M: LanguageModel>(
        _ model: M, as name: String, on server: RunningServer, maxBatchSize: Int,
        clock: any SchedulerClock = SystemSchedulerClock(), hooks: SchedulerHooks = SchedulerHooks()
    ) {
        server.server.registry.add(
            ServedModel(
                name: name, model: model, tokenizer: .whitespace, defaults: .init(),
                batching: BatchingConfiguration(maxBatchSize: maxBatchSize), hooks: hooks, loadSeconds: 0,
                logger: Logger(label: "test"), clock: clock))
    }

    /// The SSE events of a chunked stream, one per chunk, until the last chunk.
    static func events(_ client: HTTPClient, until stop: (String) -> Bool = { _ in false }) throws -> [String] {
        var events: [String] = []
        while let chunk = try client.readChunk() {
            events.append(String(decoding: chunk, as: UTF8.self))
            if stop(events.last!) { break }
        }
        return events
    }

    static func isToken(_ event: String) -> Bool {
        event.hasPrefix("data: {") && event.contains(#""text":""#) && !event.contains(#""text":"""#)
    }

    /// A stream still running at the drain deadline ends with an `error` event of type
    /// `shutdown` (then `[DONE]`), and its log row says 503 with the tokens it did stream.
    @Test func streamCutAtTheDrainDeadlineEndsWithAShutdownErrorEvent() async throws {
        let dir = TempDir()
        let db = dir.path("requests.db")
        let server = try await RunningServer.edge(loggingTo: db) { c in
            c.limits.requestTimeoutMilliseconds = 0
            c.limits.maxTokens = 1_000_000
            c.drainTimeoutSeconds = 0.2
        }
        Self.serve(SlowModel(), as: "slow", on: server, maxBatchSize: 1)
        nonisolated(unsafe) let client = try server.client()  // used by one thread at a time
        try client.send("POST", "/v1/completions", headers: [("Content-Type", "application/json")],
                        body: Array(body(["model": "slow", "prompt": "a", "stream": true, "max_tokens": 1_000_000]).utf8))
        #expect(try client.readHead().status == 200)
        var events = try await onOwnThread { try Self.events(client) { Self.isToken($0) } }
        #expect(events.count == 1)

        // The generation has a million tokens to go: the drain deadline cuts it.
        let stopping = Task { await server.stop() }
        events += try await onOwnThread { try Self.events(client) }
        client.close()
        await stopping.value

        let error = try #require(events.first { $0.hasPrefix("event: error\n") }, "\(events.suffix(3))")
        let payload = try #require(error.split(separator: "\n").first { $0.hasPrefix("data: ") }).dropFirst(6)
        let detail = try #require((try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])?["error"] as? [String: Any])
        #expect(detail["type"] as? String == "shutdown")
        #expect(detail["code"] as? String == "shutdown")
        #expect(events.last == "data: [DONE]\n\n")
        let streamed = events.filter(Self.isToken).count
        #expect(streamed >= 1)

        let reader = try RequestLogReader(path: db)
        defer { reader.close() }
        let row = try #require(try reader.requests(matching: RequestQuery(limit: 10)).first { $0.route == "/v1/completions" })
        #expect(row.status == 503)
        #expect(row.errorType == "shutdown")
        #expect(row.completionTokens == streamed)
    }

    /// A stream with more choices than `max_batch_size` answers as soon as its first choices
    /// start: headers and their tokens come while the other choices still wait for a slot
    /// (here they never get one: the first two run for a million tokens).
    @Test func moreChoicesThanTheBatchStreamAtOnce() async throws {
        let server = try await RunningServer.edge(loggingTo: "") { c in
            c.limits.requestTimeoutMilliseconds = 0
            c.limits.maxTokens = 1_000_000
        }
        Self.serve(SlowModel(), as: "slow", on: server, maxBatchSize: 2)
        nonisolated(unsafe) let client = try server.client()  // used by one thread at a time
        try client.send("POST", "/v1/completions", headers: [("Content-Type", "application/json")],
                        body: Array(body(["model": "slow", "prompt": "a", "n": 5, "stream": true, "max_tokens": 1_000_000]).utf8))
        #expect(try client.readHead().status == 200)
        let started = try await onOwnThread {
            var started: Set<Int> = []
            _ = try Self.events(client) { event in
                if Self.isToken(event), let match = event.firstMatch(of: #/"index":(\d+)/#) {
                    started.insert(Int(match.output.1)!)
                }
                return started.count == 2
            }
            return started
        }
        #expect(started == [0, 1])
        client.close()
        await server.stop()
    }

    /// A non-streamed request whose deadline passes returns the choices that finished and the
    /// others with finish_reason "timeout" (not a bare 504); if none started, it is a 504.
    @Test func pastItsDeadlineReturnsTheFinishedChoices() async throws {
        let server = try await RunningServer.edge(loggingTo: "") { c in c.limits.requestTimeoutMilliseconds = 0 }
        let clock = ManualClock()
        let gate = Gate()
        let queueDepth = Observed(0)
        Self.serve(
            GatedModel(gate: gate), as: "gated", on: server, maxBatchSize: 1, clock: clock,
            hooks: SchedulerHooks(queueDepthChanged: { depth in queueDepth.set(depth) }))
        let answer = Task {
            try await onOwnThread { try server.post("/v1/completions", body(["model": "gated", "prompt": "a", "n": 2, "max_tokens": 2, "timeout_ms": 1000])) }
        }
        // Choice 0 runs alone (one slot): its first step, then its second; while the second is
        // under way the deadline passes, so choice 1 is still queued at it.
        await gate.arrivals.until { $0 == 1 }
        gate.signal()
        await gate.arrivals.until { $0 == 2 }
        clock.advance(by: .seconds(2))
        gate.signal()
        let response = try await answer.value
        #expect(response.status == 200, "\(response.text)")
        let choices = try #require(try json(response)["choices"] as? [[String: Any]])
        #expect(choices.map { $0["finish_reason"] as? String } == ["length", "timeout"])
        #expect((choices[0]["text"] as? String)?.split(separator: " ").count == 2)
        #expect(choices[1]["text"] as? String == "")
        let usage = try #require(try json(response)["usage"] as? [String: Any])
        #expect(usage["completion_tokens"] as? Int == 2)

        // Nothing started before the deadline: 504, as before. A request without a deadline
        // holds the one slot while both choices of the next wait past theirs.
        let blocker = Task { try await onOwnThread { try server.post("/v1/completions", body(["model": "gated", "prompt": "a", "max_tokens": 2])) } }
        await gate.arrivals.until { $0 == 3 }
        let late = Task {
            try await onOwnThread {
                try server.post("/v1/completions", body(["model": "gated", "prompt": "a", "n": 2, "max_tokens": 2, "timeout_ms": 1000]))
            }
        }
        await queueDepth.until { $0 == 2 }
        clock.advance(by: .seconds(2))
        gate.open()
        let timedOut = try await late.value
        #expect(timedOut.status == 504, "\(timedOut.text)")
        #expect(errorCode(timedOut) == "timeout")
        #expect(try await blocker.value.status == 200)
        await server.stop()
    }
}

/// A four-token model whose every step waits at a gate: tests decide when each step ends.
final class GatedModel: LanguageModel, Sendable {
    let vocabulary = Vocabulary(words: ["</s>", "<unk>", "a", "b"], unknown: 1, endOfSentence: 0, beginOfSentence: nil)
    var description: ModelDescription { ModelDescription(type: "lstm", format: "test", path: "gated", vocabularySize: 4) }
    let gate: Gate

    init(gate: Gate) { self.gate = gate }

    func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore] {
        words.map { _ in TokenScore(id: 2, log10Prob: -0.30103, ngramLength: 0, isOOV: false) }
    }
    func initialState(sentenceContext: Bool) -> Int { 0 }
    func advance(_ states: inout [Int], by tokens: [TokenID]) {}
    func nextTokenLogProbs(_ states: [Int], into output: UnsafeMutableBufferPointer<Float>) {
        gate.wait()
        for row in states.indices {
            output[row * 4] = log(1e-12)  // `</s>` almost never: generation runs to max_tokens
            output[row * 4 + 1] = log(1e-12)
            output[row * 4 + 2] = log(0.5)
            output[row * 4 + 3] = log(0.5)
        }
    }
}
