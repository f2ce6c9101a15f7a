import Foundation
import HTTP
import Testing
@testable import Server

@Suite(.serialized) struct PerplexityAPITests {
    /// KenLM's `query` on test.txt with kjv3: the summary and every line's total.
    @Test func matchesKenLMOnTheTestSet() async throws {
        let server = try await SharedServer.shared.get()
        let text = try String(contentsOfFile: Shared.path("corpora/kjv/test.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let response = try server.post("/v1/perplexity", body(["model": "kjv3", "texts": lines]))
        #expect(response.status == 200)
        let object = try json(response)
        let total = try #require(object["total"] as? [String: Any])
        let summary = try String(contentsOfFile: Shared.path("reference/kenlm/kjv3.test.summary.txt"), encoding: .utf8)
        func value(_ key: String) -> Double {
            Double(summary.split(separator: "\n").first { $0.hasPrefix(key) }!.split(separator: "\t")[1])!
        }
        let ppl = try #require(total["perplexity"] as? Double)
        let pplNoOOV = try #require(total["perplexity_no_oov"] as? Double)
        #expect(abs(ppl / value("Perplexity including OOVs") - 1) < 1e-6)
        #expect(abs(pplNoOOV / value("Perplexity excluding OOVs") - 1) < 1e-6)
        #expect(total["oov"] as? Int == Int(value("OOVs")))
        #expect(total["tokens"] as? Int == Int(value("Tokens")))
        // Per line: "Total: T OOV: n" in the reference.
        let reference = try String(contentsOfFile: Shared.path("reference/kenlm/kjv3.test.sentences.txt"), encoding: .utf8)
            .split(separator: "\n").map { line -> (Double, Int) in
                let parts = line.split(separator: " ")
                return (Double(parts[1])!, Int(parts[3])!)
            }
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.count == reference.count)
        var worst = 0.0
        for (r, (t, oov)) in zip(results, reference) {
            worst = max(worst, abs((r["log10_prob"] as? Double ?? .nan) - t))
            #expect(r["oov"] as? Int == oov)
        }
        #expect(worst < 1e-4, "largest per-line difference \(worst)")
    }

    @Test func perTokenDetailsAndTokenizer() async throws {
        let server = try await SharedServer.shared.get()
        let response = try server.post(
            "/v1/perplexity",
            body(["model": "kjv3", "text": "In the beginning God created whales.", "tokenizer": "basic", "per_token": true]))
        #expect(response.status == 200)
        let result = try #require((try json(response))["results"] as? [[String: Any]]).first!
        let tokens = try #require(result["per_token"] as? [[String: Any]])
        #expect(tokens.map { $0["token"] as? String } == ["in", "the", "beginning", "god", "created", "whales", ".", "</s>"])
        #expect(tokens[5]["oov"] as? Bool == true)
        // KenLM's first words of test line 1 (kjv3.test.words.txt): in=32 2 -1.9992973, the 3 -0.32314327.
        #expect(abs((tokens[0]["log10_prob"] as? Double ?? 0) - -1.9992973) < 1e-5)
        #expect(tokens[0]["ngram_length"] as? Int == 2)
        #expect(abs((tokens[1]["log10_prob"] as? Double ?? 0) - -0.32314327) < 1e-5)
        let lp = try #require(tokens[0]["logprob"] as? Double)
        #expect(abs(lp - -1.9992973 * log(10.0)) < 1e-4)
        #expect(result["sentences"] as? Int == 1)
    }

    @Test func sentenceContextOffAndEmptyText() async throws {
        let server = try await SharedServer.shared.get()
        let off = try json(server.post("/v1/perplexity", body(["model": "edge", "text": "looking on a", "sentence_context": false])))
        let total = try #require(off["total"] as? [String: Any])
        #expect(total["tokens"] as? Int == 3)
        let empty = try json(server.post("/v1/perplexity", body(["model": "edge", "text": "", "sentence_context": false])))
        let t = try #require(empty["total"] as? [String: Any])
        #expect(t["tokens"] as? Int == 0)
        #expect(t["perplexity"] is NSNull)
    }

    /// A 4 MiB text fits the default body limit and is scored.
    @Test func fourMebibyteText() async throws {
        let server = try await SharedServer.shared.get()
        let verse = "and god said , let there be light : and there was light .\n"
        let text = String(repeating: verse, count: (4 << 20) / verse.utf8.count)
        let response = try server.post("/v1/perplexity", body(["model": "kjv3", "text": text]))
        #expect(response.status == 200)
        let total = try #require((try json(response))["total"] as? [String: Any])
        #expect(total["sentences"] as? Int == (4 << 20) / verse.utf8.count)
    }
}
