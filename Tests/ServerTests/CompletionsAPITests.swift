import Foundation
import HTTP
import Testing
@testable import Server

@Suite struct CompletionsAPITests {
    func complete(_ server: RunningServer, _ fields: [String: Any]) throws -> [String: Any] {
        var f = fields
        if f["model"] == nil { f["model"] = "kjv3" }
        let response = try server.post("/v1/completions", body(f))
        #expect(response.status == 200, "\(response.text)")
        return try json(response)
    }

    func choices(_ object: [String: Any]) -> [[String: Any]] { object["choices"] as? [[String: Any]] ?? [] }

    @Test func greedyIsDeterministicAndSeedsRepeat() async throws {
        let server = try await SharedServer.shared.get()
        let a = try complete(server, ["prompt": "and god said", "max_tokens": 12, "temperature": 0])
        let b = try complete(server, ["prompt": "and god said", "max_tokens": 12, "temperature": 0])
        #expect(choices(a).first?["text"] as? String == choices(b).first?["text"] as? String)
        let s1 = try complete(server, ["prompt": "and god said", "max_tokens": 20, "seed": 42])
        let s2 = try complete(server, ["prompt": "and god said", "max_tokens": 20, "seed": 42])
        #expect(choices(s1).first?["text"] as? String == choices(s2).first?["text"] as? String)
        #expect(a["object"] as? String == "text_completion")
        let usage = try #require(a["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 3)
    }

    @Test func maxTokensAndStopGiveTheirFinishReasons() async throws {
        let server = try await SharedServer.shared.get()
        for seed in 0..<5 {
            let r = try complete(server, ["prompt": "and", "max_tokens": 5, "seed": seed, "logprobs": 0])
            let c = try #require(choices(r).first)
            let n = (c["logprobs"] as? [String: Any])?["tokens"] as? [String] ?? []
            let reason = c["finish_reason"] as? String
            #expect(reason == "length" ? n.count == 5 : (reason == "stop" && n.count <= 5))
        }
        // A stop sequence cuts the text before it.
        for seed in 0..<5 {
            let r = try complete(server, ["prompt": "and god said", "max_tokens": 40, "seed": seed, "stop": [" and"]])
            let c = try #require(choices(r).first)
            let text = c["text"] as? String ?? ""
            #expect(!text.contains(" and"))
            if text.count < 10 { #expect(c["finish_reason"] as? String == "stop") }
        }
    }

    /// Collects a streamed completion: the text of each choice and its finish reason.
    func stream(_ server: RunningServer, _ fields: [String: Any]) throws -> ([Int: String], [Int: String], Int) {
        let client = try server.client()
        var f = fields
        f["stream"] = true
        if f["model"] == nil { f["model"] = "kjv3" }
        try client.send("POST", "/v1/completions", headers: [("Content-Type", "application/json")], body: Array(body(f).utf8))
        let head = try client.readHead()
        #expect(head.status == 200)
        var raw: [UInt8] = []
        var chunks = 0
        while let chunk = try client.readChunk() {
            raw += chunk
            chunks += 1
        }
        var texts: [Int: String] = [:]
        var reasons: [Int: String] = [:]
        var sawDone = false
        for event in String(decoding: raw, as: UTF8.self).components(separatedBy: "\n\n") where !event.isEmpty {
            #expect(event.hasPrefix("data: "))
            let data = String(event.dropFirst(6))
            if data == "[DONE]" {
                sawDone = true
                continue
            }
            let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as! [String: Any]
            for c in object["choices"] as! [[String: Any]] {
                let i = c["index"] as! Int
                texts[i, default: ""] += c["text"] as! String
                if let r = c["finish_reason"] as? String { reasons[i] = r }
            }
        }
        #expect(sawDone)
        return (texts, reasons, chunks)
    }

    @Test func streamedEqualsNonStreamed() async throws {
        let server = try await SharedServer.shared.get()
        for (seed, stop) in [(1, [String]()), (2, [" ,"]), (3, [" the"])] {
            let fields: [String: Any] = ["prompt": "in the beginning", "max_tokens": 30, "seed": seed, "n": 3, "stop": stop]
            let whole = try complete(server, fields)
            let (texts, reasons, chunks) = try stream(server, fields)
            #expect(chunks > 3, "events arrive as separate chunks")
            for c in choices(whole) {
                let i = c["index"] as! Int
                #expect(texts[i] == c["text"] as? String)
                #expect(reasons[i] == c["finish_reason"] as? String)
            }
        }
    }

    /// The logprobs returned are the model's: scoring prompt + completion gives the same values.
    @Test func logprobsAreTheModelsOwn() async throws {
        let server = try await SharedServer.shared.get()
        let r = try complete(server, ["prompt": "and god said", "max_tokens": 8, "seed": 5, "logprobs": 3])
        let c = try #require(choices(r).first)
        let lp = try #require(c["logprobs"] as? [String: Any])
        let tokens = try #require(lp["tokens"] as? [String])
        let values = try #require(lp["token_logprobs"] as? [Double])
        let top = try #require(lp["top_logprobs"] as? [[String: Double]])
        #expect(tokens.count == values.count && top.count == tokens.count)
        let scored = try json(
            server.post(
                "/v1/perplexity",
                body(["model": "kjv3", "text": (["and", "god", "said"] + tokens).joined(separator: " "), "per_token": true])))
        let perToken = try #require(((scored["results"] as? [[String: Any]])?.first?["per_token"]) as? [[String: Any]])
        for (i, v) in values.enumerated() {
            let expected = perToken[3 + i]["logprob"] as! Double
            #expect(abs(v - expected) < 1e-4, "token \(tokens[i]): \(v) vs \(expected)")
            #expect(top[i].count == 3)
            #expect((top[i].values.max() ?? 0) >= v - 1e-6)
        }
    }

    @Test func echoAndPromptLists() async throws {
        let server = try await SharedServer.shared.get()
        let r = try complete(server, ["prompt": ["and god said", "in the"], "max_tokens": 4, "seed": 9, "n": 2, "echo": true])
        let c = choices(r)
        #expect(c.map { $0["index"] as? Int } == [0, 1, 2, 3])
        #expect((c[0]["text"] as? String)?.hasPrefix("and god said") == true)
        #expect((c[3]["text"] as? String)?.hasPrefix("in the") == true)
        // Echoed prompt logprobs are the model's, in the <s> context generation starts from.
        let e = try complete(server, ["prompt": "and god said", "max_tokens": 1, "seed": 1, "echo": true, "logprobs": 1])
        let lp = try #require(choices(e).first?["logprobs"] as? [String: Any])
        let values = try #require(lp["token_logprobs"] as? [Double])
        let scored = try json(server.post("/v1/perplexity", body(["model": "kjv3", "text": "and god said", "per_token": true])))
        let perToken = try #require(((scored["results"] as? [[String: Any]])?.first?["per_token"]) as? [[String: Any]])
        for i in 0..<3 { #expect(abs(values[i] - (perToken[i]["logprob"] as! Double)) < 1e-4) }
        #expect((lp["tokens"] as? [String])?.prefix(3) == ["and", "god", "said"])
    }
}
