import Foundation
import HTTP
import LMCore
import Testing
@testable import Server

/// A model over SentencePiece pieces with `tokenizer: sentencepiece:FILE` (relative to the config
/// file): raw text scores as query scores the pieces, /v1/models reports the tokenizer's file,
/// completions are decoded text and stream to the same text.
@Suite(.serialized) struct SentencePieceServingTests {
    @Test func servesAModelOverPieces() async throws {
        let dir = TempDir()
        try FileManager.default.copyItem(
            atPath: Shared.path("reference/sentencepiece/kjv-sp8k.model"), toPath: dir.path("kjv-sp8k.model"))
        let file = dir.path("lmserve.yaml")
        try """
            models:
              - name: sp
                path: \(Shared.path("reference/sentencepiece/kjv-sp8k.3gram.arpa.gz"))
                tokenizer: sentencepiece:kjv-sp8k.model
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try ServerConfiguration.load(file: file)
        let server = try await RunningServer.start { c in
            c.models = loaded.models
            c.limits.maxTokens = 64
        }

        let info = try json(server.get("/v1/models/sp"))
        #expect(info["tokenizer"] as? String == "sentencepiece")
        let spModel = try #require(info["tokenizer_model"] as? [String: Any])
        #expect(spModel["file"] as? String == dir.path("kjv-sp8k.model"))
        #expect(spModel["bytes"] as? Int == 382_652 && spModel["pieces"] as? Int == 8000)

        let raw = try String(contentsOfFile: Shared.path("corpora/kjv/test.raw.txt"), encoding: .utf8)
        let scored = try json(server.post("/v1/perplexity", body(["model": "sp", "text": raw])))
        let total = try #require(scored["total"] as? [String: Any])
        #expect(abs((total["perplexity"] as? Double ?? .nan) / 43.94553082261882 - 1) < 1e-6)
        #expect(total["tokens"] as? Int == 49651)

        // Completions come back as text (pieces decoded), streamed or not alike.
        let api = CompletionsAPITests()
        for seed in [1, 2] {
            let fields: [String: Any] = ["model": "sp", "prompt": "And God said", "max_tokens": 20, "seed": seed]
            let whole = try api.complete(server, fields)
            let text = try #require(api.choices(whole).first?["text"] as? String)
            #expect(!text.contains("▁"), "\(text)")
            let (streamed, _, _) = try api.stream(server, fields)
            #expect(streamed[0] == text)
        }
        await server.stop()
    }

    @Test func aMissingModelFileIsAConfigurationErrorNamingIt() throws {
        let dir = TempDir()
        let file = dir.path("lmserve.yaml")
        try "models: [{name: sp, path: x.arpa, tokenizer: 'sentencepiece:nope.model'}]".write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try ServerConfiguration.load(file: file)
        } throws: { error in
            "\(error)".contains(dir.path("nope.model"))
        }
    }
}
