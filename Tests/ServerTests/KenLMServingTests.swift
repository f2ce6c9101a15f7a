import Foundation
import HTTP
import Testing
@testable import Server

/// KenLM binary files served like any N-gram model: /v1/models reports their format and
/// quantization, perplexity gives query's numbers, completions and their logprobs work.
@Suite(.serialized) struct KenLMServingTests {
    static func start() async throws -> RunningServer {
        try await RunningServer.start { c in
            c.models = [
                .init(name: "probing", path: Shared.path("reference/kenlm-binary/kjv3.probing.binary")),
                .init(name: "quantized", path: Shared.path("reference/kenlm-binary/kjv3.trie-q8-b8-a22.binary")),
                .init(name: "arpa", path: Shared.path("reference/kenlm/kjv3.arpa.gz")),
            ]
            c.limits.maxTokens = 64
        }
    }

    @Test func servesKenLMBinaries() async throws {
        let server = try await Self.start()

        let probing = try json(server.get("/v1/models/probing"))
        #expect(probing["format"] as? String == "kenlm-probing")
        #expect(probing["order"] as? Int == 3)
        #expect(probing["probability_bits"] == nil)
        let quantized = try json(server.get("/v1/models/quantized"))
        #expect(quantized["format"] as? String == "kenlm-trie")
        #expect(quantized["probability_bits"] as? Int == 8 && quantized["backoff_bits"] as? Int == 8)
        #expect(try json(server.get("/v1/models/arpa"))["format"] as? String == "arpa")

        // The quantized file's summary is query's on that file (its values are the bins).
        let text = try String(contentsOfFile: Shared.path("corpora/kjv/test.txt"), encoding: .utf8)
        let scored = try json(server.post("/v1/perplexity", body(["model": "quantized", "text": text])))
        let total = try #require(scored["total"] as? [String: Any])
        let summary = try String(
            contentsOfFile: Shared.path("reference/kenlm-binary/kjv3.trie-q8-b8-a22.test.summary.txt"), encoding: .utf8)
        let reference = Double(summary.split(separator: "\n")[0].split(separator: "\t")[1])!
        #expect(abs((total["perplexity"] as? Double ?? .nan) / reference - 1) < 1e-6)

        // Completions: greedy text equals the ARPA model's (same scores, same ids); the logprobs
        // are the model's own per-token scores.
        func complete(_ model: String) throws -> [String: Any] {
            let r = try server.post(
                "/v1/completions", body(["model": model, "prompt": "and god said", "max_tokens": 10, "temperature": 0, "logprobs": 2]))
            #expect(r.status == 200, "\(r.text)")
            return try #require((try json(r))["choices"] as? [[String: Any]]).first ?? [:]
        }
        let fromBinary = try complete("probing")
        #expect(fromBinary["text"] as? String == (try complete("arpa"))["text"] as? String)
        let q = try complete("quantized")
        let lp = try #require(q["logprobs"] as? [String: Any])
        let tokens = try #require(lp["tokens"] as? [String])
        let values = try #require(lp["token_logprobs"] as? [Double])
        let perToken = try #require(
            ((try json(
                server.post(
                    "/v1/perplexity",
                    body(["model": "quantized", "text": (["and", "god", "said"] + tokens).joined(separator: " "), "per_token": true])))
            )["results"] as? [[String: Any]])?.first?["per_token"] as? [[String: Any]])
        for (i, v) in values.enumerated() {
            #expect(abs(v - (perToken[3 + i]["logprob"] as? Double ?? .nan)) < 1e-4, "token \(tokens[i])")
        }
        await server.stop()
    }

    @Test func aCorruptBinaryIsAStartupErrorNamingTheFile() async throws {
        let dir = TempDir()
        let path = dir.path("cut.binary")
        let whole = try Data(contentsOf: URL(fileURLWithPath: Shared.path("reference/kenlm-binary/kjv3.trie.binary")))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        do {
            _ = try await RunningServer.start { c in c.models = [.init(name: "cut", path: path)] }
            Issue.record("a truncated KenLM binary loaded")
        } catch {
            #expect("\(error)".contains(path) && "\(error)".contains("truncated"), "\(error)")
        }
    }
}
