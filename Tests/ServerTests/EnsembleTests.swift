import Ensemble
import Foundation
import LMCore
import Logging
import NGram
import Testing
@testable import Server

/// Ensembles (`type: ensemble`): configuration checks, the mixture's scores against its members'
/// own, and sampling from the mixture, all through a real server.
@Suite struct EnsembleTests {
    static let kjv4 = Shared.path("reference/kenlm/kjv4.arpa.gz")
    static let lstm = Shared.path("reference/pytorch/kjv-lstm-2x512.safetensors")

    /// The problems `validate()` reports for `models`.
    static func problems(_ models: [ServerConfiguration.Model]) -> [String] {
        var c = ServerConfiguration()
        c.models = models
        return c.validate()
    }

    @Test func configurationErrorsNameTheEnsembleAndTheMembers() throws {
        let a = ServerConfiguration.Model(name: "a", path: Self.kjv4)
        let b = ServerConfiguration.Model(name: "b", path: Self.lstm)
        func mix(_ name: String, _ members: [(String, Double)], tokenizer: Tokenizer? = nil) -> ServerConfiguration.Model {
            .init(name: name, members: members.map { .init(name: $0.0, weight: $0.1) }, tokenizer: tokenizer)
        }
        #expect(Self.problems([a, b, mix("m", [("a", 0.4), ("b", 0.6)])]).isEmpty)
        #expect(Self.problems([a, b, mix("m", [("a", 0.4), ("b", 0.5)])]) == ["ensemble 'm': weights must sum to 1 (they sum to 0.9)"])
        #expect(Self.problems([a, b, mix("m", [("a", -0.5), ("b", 1.5)])]) == ["ensemble 'm': weights must be non-negative numbers (got -0.5)"])
        #expect(Self.problems([a, mix("m", [("a", 0.5), ("nope", 0.5)])]) == ["ensemble 'm': no configured model named 'nope'"])
        #expect(Self.problems([a, mix("m", [("a", 0.5), ("m", 0.5)])]) == ["ensemble 'm': members refer back to it (m → m)"])
        let cyclic = Self.problems([a, mix("m", [("a", 0.5), ("n", 0.5)]), mix("n", [("a", 0.5), ("m", 0.5)])])
        #expect(cyclic == ["ensemble 'm': members refer back to it (m → n → m)", "ensemble 'n': members refer back to it (n → m → n)"])
        var basic = b
        basic.tokenizer = .basic
        #expect(
            Self.problems([a, basic, mix("m", [("a", 0.5), ("b", 0.5)])])
                == ["ensemble 'm': members must share one tokenizer ('a' whitespace, 'b' basic)"])
        #expect(Self.problems([a, mix("m", [])]) == ["ensemble 'm': needs members"])
        #expect(Self.problems([.init(name: "x", path: "")]) == ["model 'x': path is required (or type: ensemble with members)"])
        // A server refuses the configuration before loading anything.
        var c = ServerConfiguration()
        c.models = [a, mix("m", [("a", 0.7)])]
        #expect(throws: ConfigurationError.self) { try LMServer(configuration: c, logger: .init(label: "test")) }
    }

    @Test func yamlAndFlagFormsGiveTheSameEnsemble() throws {
        let dir = TempDir()
        let file = dir.path("ensemble.yaml")
        try """
        models:
          - name: ngram
            path: \(Self.kjv4)
          - name: lstm
            path: \(Self.lstm)
          - name: mix
            type: ensemble
            members:
              - {model: ngram, weight: 0.4}
              - {model: lstm, weight: 0.6}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let c = try ServerConfiguration.load(file: file)
        #expect(c.validate().isEmpty)
        #expect(c.models[2] == .init(name: "mix", members: [.init(name: "ngram", weight: 0.4), .init(name: "lstm", weight: 0.6)]))
        #expect(try ServerConfiguration.Member.parseList("ngram*0.4+lstm*0.6") == c.models[2].members)
        #expect(c.loadOrder.map(\.name) == ["ngram", "lstm", "mix"])
        #expect(throws: SettingProblem.self) { try ServerConfiguration.Member.parseList("ngram*0.4+lstm") }

        try """
        models:
          - name: mix
            type: ensemble
            members:
              - {model: ngram, weight: 0.4, extra: 1}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.load(file: file) }
    }

    /// Loads the 4-gram, the LSTM and their mixture once for the scoring tests.
    actor KJVServer {
        static let shared = KJVServer()
        static let weights = (ngram: 0.375, lstm: 0.625)
        private var running: RunningServer?

        func get() async throws -> RunningServer {
            if let running { return running }
            let s = try await RunningServer.start { c in
                c.models = [
                    .init(name: "kjv4", path: EnsembleTests.kjv4),
                    .init(name: "lstm", path: EnsembleTests.lstm),
                    .init(
                        name: "mix",
                        members: [.init(name: "kjv4", weight: Self.weights.ngram), .init(name: "lstm", weight: Self.weights.lstm)]),
                ]
                // Debug builds score the LSTM slowly; the client's hang guard still applies.
                c.limits.requestTimeoutMilliseconds = 0
            }
            running = s
            return s
        }
    }

    /// One model's per-token scores of `text`: (log10 as the `Float` the model reported, oov).
    static func perToken(_ server: RunningServer, _ model: String, _ text: String) throws -> (tokens: [[String: Any]], total: [String: Any]) {
        let response = try server.post("/v1/perplexity", body(["model": model, "text": text, "per_token": true]))
        #expect(response.status == 200, "\(response.text)")
        let result = try #require((try json(response)["results"] as? [[String: Any]])?.first)
        return (try #require(result["per_token"] as? [[String: Any]]), result)
    }

    static func float(_ value: Any?) throws -> Float { Float(try #require(value as? Double)) }

    /// The mixture's perplexity, recomputed from each member's per-token scores (each member asked
    /// alone) with the documented rule, equals the ensemble's to 1e-9 relative.
    @Test func mixturePerplexityFollowsFromTheMembersScores() async throws {
        let server = try await KJVServer.shared.get()
        let lines = try String(contentsOfFile: Shared.path("corpora/kjv/test.txt"), encoding: .utf8).split(separator: "\n")
        // Some test words are unknown to one member or both: the text covers every case.
        let text = lines.prefix(60).joined(separator: "\n") + "\nand the lord said unto zzyzx , qwertyuiop\n"
        let ngram = try Self.perToken(server, "kjv4", text)
        let lstm = try Self.perToken(server, "lstm", text)
        let mix = try Self.perToken(server, "mix", text)
        #expect(ngram.tokens.count == mix.tokens.count && lstm.tokens.count == mix.tokens.count)
        let weights = [KJVServer.weights.ngram, KJVServer.weights.lstm]
        var sum = 0.0
        var oneLacks = 0, bothLack = 0
        for (j, token) in mix.tokens.enumerated() {
            let members = [ngram.tokens[j], lstm.tokens[j]]
            let log10s = try members.map { try Self.float($0["log10_prob"]) }
            let known = members.map { ($0["oov"] as? Bool) == false }
            if known.contains(false) { if known.contains(true) { oneLacks += 1 } else { bothLack += 1 } }
            // Members' own scores, reported beside the mixture's, are what each gives alone.
            let reported = try #require(token["members"] as? [[String: Any]])
            #expect(try reported.map { try Self.float($0["log10_prob"]) } == log10s)
            #expect(reported.map { $0["model"] as? String } == ["kjv4", "lstm"])
            // The rule: members that know the word; all members' <unk> scores when none does.
            let anyKnown = known.contains(true)
            var p = 0.0
            for m in weights.indices where !anyKnown || known[m] { p += weights[m] * pow(10, Double(log10s[m])) }
            let expected = Float(log10(p))
            #expect(try Self.float(token["log10_prob"]) == expected, "token \(j) \(token["token"] ?? "")")
            #expect((token["oov"] as? Bool) == !anyKnown)
            sum += Double(expected)
        }
        #expect(oneLacks > 0 && bothLack > 0, "the text exercises both OOV cases")
        let recomputed = pow(10, -sum / Double(mix.tokens.count))
        let served = try #require(mix.total["perplexity"] as? Double)
        #expect(abs(served - recomputed) / recomputed <= 1e-9, "served \(served), recomputed \(recomputed)")
        // The mixture beats both members on this text.
        let alone = try [ngram.total, lstm.total].map { try #require($0["perplexity"] as? Double) }
        #expect(served < alone.min()!)
    }

    /// Two unigram models with overlapping vocabularies: what the mixture gives each word.
    static let tinyA = [("<unk>", 0.1), ("</s>", 0.2), ("a", 0.4), ("b", 0.3)]
    static let tinyB = [("<unk>", 0.05), ("</s>", 0.25), ("b", 0.2), ("c", 0.5)]

    static func writeUnigramARPA(_ probabilities: [(String, Double)], to path: String) throws {
        var lines = ["\\data\\", "ngram 1=\(probabilities.count + 1)", "", "\\1-grams:", "-99\t<s>"]
        for (word, p) in probabilities { lines.append("\(log10(p))\t\(word)") }
        lines += ["", "\\end\\", ""]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Draws from the mixture of two small models follow the mixture's distribution (seeded, so
    /// the counts are the same on every run); streamed and not give the same text.
    @Test func samplingFollowsTheMixtureDistribution() async throws {
        let dir = TempDir()
        try Self.writeUnigramARPA(Self.tinyA, to: dir.path("a.arpa"))
        try Self.writeUnigramARPA(Self.tinyB, to: dir.path("b.arpa"))
        let weights = (a: 0.3, b: 0.7)
        let server = try await RunningServer.start { c in
            c.models = [
                .init(name: "a", path: dir.path("a.arpa")), .init(name: "b", path: dir.path("b.arpa")),
                .init(name: "mix", members: [.init(name: "a", weight: weights.a), .init(name: "b", weight: weights.b)]),
            ]
            c.limits.maxChoices = 64
        }
        defer { Task { await server.stop() } }
        // Mixture masses (SRILM's rule): a word a member lacks gets 0 from it; <unk> is never drawn.
        func p(_ table: [(String, Double)], _ w: String) -> Double { table.first { $0.0 == w }?.1 ?? 0 }
        let outcomes = ["a", "b", "c", "</s>"]
        let mass = outcomes.map { weights.a * p(Self.tinyA, $0) + weights.b * p(Self.tinyB, $0) }
        let expected = mass.map { $0 / mass.reduce(0, +) }

        // The reported distribution is the mixture's, <unk> holding both members' <unk> mass.
        let first = try json(
            try server.post("/v1/completions", body(["model": "mix", "prompt": "", "max_tokens": 1, "seed": 1, "logprobs": 5])))
        let top = try #require(((first["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])?["top_logprobs"] as? [[String: Double]])
        if let alternatives = top.first {
            #expect(alternatives.count == 5)
            for (w, lp) in alternatives {
                let m = w == "<unk>" ? weights.a * p(Self.tinyA, w) + weights.b * p(Self.tinyB, w) : mass[try #require(outcomes.firstIndex(of: w))]
                #expect(abs(lp - log(m)) < 1e-6, "\(w)")
            }
        }

        var counts = [Int](repeating: 0, count: outcomes.count)
        let requests = 40, perRequest = 64
        for r in 0..<requests {
            let response = try server.post(
                "/v1/completions", body(["model": "mix", "prompt": "", "max_tokens": 1, "n": perRequest, "seed": 1000 + r * perRequest]))
            #expect(response.status == 200, "\(response.text)")
            for choice in try #require(try json(response)["choices"] as? [[String: Any]]) {
                let text = (choice["text"] as? String ?? "").trimmingCharacters(in: .whitespaces)
                let outcome = text.isEmpty ? "</s>" : text
                let i = try #require(outcomes.firstIndex(of: outcome), "drew '\(outcome)'")
                counts[i] += 1
            }
        }
        let n = Double(requests * perRequest)
        // Pearson's chi-square with 3 degrees of freedom; 16.27 is its 0.999 quantile.
        let chiSquare = zip(counts, expected).reduce(0.0) { $0 + pow(Double($1.0) - n * $1.1, 2) / (n * $1.1) }
        #expect(chiSquare < 16.27, "counts \(counts) for probabilities \(expected): chi-square \(chiSquare)")

        // Streamed and not: the same seeded text.
        let plain = try json(try server.post("/v1/completions", body(["model": "mix", "prompt": "b", "max_tokens": 8, "seed": 5])))
        let plainText = try #require((plain["choices"] as? [[String: Any]])?.first?["text"] as? String)
        let streamed = try server.post("/v1/completions", body(["model": "mix", "prompt": "b", "max_tokens": 8, "seed": 5, "stream": true]))
        let pieces = streamed.text.split(separator: "\n").filter { $0.hasPrefix("data: {") }.compactMap { line -> String? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
            return (object?["choices"] as? [[String: Any]])?.first?["text"] as? String
        }
        #expect(pieces.joined() == plainText)
    }

    /// The model itself: next-token rows are distributions over the union vocabulary, and the
    /// sentence path (`ppl`) and the batched chunk path (the server) give the same scores.
    @Test func modelPathsAgreeAndRowsSumToOne() throws {
        let dir = TempDir()
        try Self.writeUnigramARPA(Self.tinyB, to: dir.path("b.arpa"))
        let logger = Logger(label: "test")
        let edge = try ModelFormatRegistry.standard.load(path: Shared.path("reference/kenlm/edge.arpa"), logger: logger)
        let tiny = try ModelFormatRegistry.standard.load(path: dir.path("b.arpa"), logger: logger)
        let mix = try EnsembleModel(members: [.init(name: "edge", model: edge, weight: 0.8), .init(name: "b", model: tiny, weight: 0.2)])
        #expect(mix.vocabulary.count == Set(edge.vocabulary.words + tiny.vocabulary.words).count)
        let sentences = try String(contentsOfFile: Shared.path("reference/kenlm/edge.sentences.txt"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ") } + [["b", "c", "looking", "zzz"]]
        for words in sentences {
            let whole = mix.score(sentence: words, sentenceContext: true)
            var states = [mix.initialState(sentenceContext: true)]
            let ids = mix.tokens(of: words, sentenceContext: true).ids
            let chunks = mix.scoreChunksLog10(&states, tokens: [ids[...]])
            #expect(chunks.log10Probs[0] == whole.map(\.log10Prob), "\(words)")
            #expect(chunks.members.count == 2)
            #expect(chunks.members[0][0] == edge.score(sentence: words, sentenceContext: true).map(\.log10Prob))
        }
        var states = [mix.initialState(sentenceContext: true), mix.initialState(sentenceContext: true)]
        mix.advance(&states, by: [mix.vocabulary.id(of: "looking")!, mix.vocabulary.id(of: "a")!])
        var rows = [Float](repeating: 0, count: 2 * mix.vocabulary.count)
        rows.withUnsafeMutableBufferPointer { mix.nextTokenLogProbs(states, into: $0) }
        for r in 0..<2 {
            let sum = rows[(r * mix.vocabulary.count)..<((r + 1) * mix.vocabulary.count)].reduce(0.0) { $0 + exp(Double($1)) }
            // As close to 1 as the members' own rows are (a pruned ARPA is normalised to ~1e-4).
            #expect(abs(sum - 1) < 1e-3, "row \(r) sums to \(sum)")
        }
    }
}
