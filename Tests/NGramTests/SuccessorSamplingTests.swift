import Foundation
import LMCore
import Testing
@testable import NGram

/// Generation from successor lists (`drawNext`) against the full-vocabulary computation
/// (`nextTokenLogProbs` + `Sampler`): the same alternatives, bit for bit, and the same sampled
/// distribution (seeded draws, chi-square), for every order, pruned models, and each format.
@Suite struct SuccessorSamplingTests {
    /// Models of orders 1–5 and 8; edge.arpa and the kjv models are pruned (edge has blanks).
    static let models: [(String, ModelFormat)] = {
        let names = [
            "reference/kenlm/edge.arpa", "reference/kenlm/edge_nounk.arpa", "reference/kenlm/kjv2.arpa.gz",
            "reference/kenlm/kjv3.arpa.gz", "reference/kenlm/kjv4.arpa.gz",
        ]
        return names.flatMap { n in ModelFormat.allCases.map { (n, $0) } }
    }()

    /// States met while generating: the sentence start, the empty context, after an OOV, and
    /// those a seeded walk through the model reaches.
    static func states<M: NGramLanguageModel>(_ model: M, count: Int, seed: UInt64) -> [NGramState] {
        var result = [model.initialState(sentenceContext: true), model.initialState(sentenceContext: false)]
        var oov = model.initialState(sentenceContext: true)
        _ = model.score(model.wordID("zzzunknownzzz"), after: &oov)
        result.append(oov)
        var samplers = [Sampler(parameters: SamplingParameters(), seed: seed, excluded: [model.beginSentence])]
        var scratch: [Float] = []
        var state = model.initialState(sentenceContext: true)
        while result.count < count {
            let next = model.fullDistributionDraw([state], samplers: &samplers, alternatives: [0], scratch: &scratch)[0].id
            if next == model.endSentence {
                state = model.initialState(sentenceContext: true)
                continue
            }
            _ = model.score(next, after: &state)
            result.append(state)
        }
        return result
    }

    static func row<M: LanguageModel>(_ model: M, _ state: M.State) -> [Float] {
        var out = [Float](repeating: 0, count: model.vocabulary.count)
        out.withUnsafeMutableBufferPointer { model.nextTokenLogProbs([state], into: $0) }
        return out
    }

    static func path(_ model: NGramModel) -> String { model.successors == nil ? "full" : "successors" }

    @Test(arguments: models)
    func alternativesAreTheFullDistributionsTop(name: String, format: ModelFormat) throws {
        let model = try ModelCache.model(name, format)
        #expect(model.successors != nil)
        for (i, state) in Self.states(model, count: 60, seed: 7).enumerated() {
            let row = Self.row(model, state)
            for k in [1, 3, 10, 50] {
                var samplers = [Sampler(parameters: SamplingParameters(), seed: UInt64(i), excluded: [WordID.unknownWord])]
                var scratch: [Float] = []
                let drawn = model.drawNext([state], samplers: &samplers, alternatives: [k], scratch: &scratch)[0]
                let expected = row.withUnsafeBufferPointer { topAlternatives($0, k: k) }
                #expect(drawn.alternatives.map(\.id) == expected.map(\.id), "state \(i) k \(k) (\(Self.path(model)))")
                #expect(drawn.alternatives.map(\.logProb) == expected.map(\.logProb), "state \(i) k \(k)")
                #expect(drawn.logProb == row[Int(drawn.id)])
                #expect(drawn.id != WordID.unknownWord && drawn.id != model.beginSentence)
            }
        }
    }

    /// A version 1 `.lmb` (written before successor lists existed) loads without them and
    /// generates through the full distribution, with the same alternatives.
    @Test func versionOneFilesStillLoad() throws {
        let arpa = try ModelCache.model("reference/kenlm/edge.arpa", .arpa)
        let plain = try NGramModel(storage: arpa.storage, path: arpa.description.path, format: "arpa")
        #expect(plain.successors == nil)
        let path = ModelCache.tempDirectory.appendingPathComponent("edge-v1.lmb").path
        try plain.writeBinary(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes[8] == 1, "version field")
        let v1 = try NGramModel.load(path: path, logger: ModelCache.logger)
        #expect(v1.successors == nil)
        let v2Path = ModelCache.tempDirectory.appendingPathComponent("edge-v2.lmb").path
        try arpa.writeBinary(to: v2Path)
        defer { try? FileManager.default.removeItem(atPath: v2Path) }
        let v2 = try NGramModel.load(path: v2Path, logger: ModelCache.logger)
        #expect(v2.successors != nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: v2Path))[8] == 2)
        for state in Self.states(v1, count: 20, seed: 3) {
            var a = [Sampler(parameters: SamplingParameters(), seed: 1, excluded: [WordID.unknownWord])]
            var b = a
            var scratch: [Float] = []
            let x = v1.drawNext([state], samplers: &a, alternatives: [8], scratch: &scratch)[0]
            let y = v2.drawNext([state], samplers: &b, alternatives: [8], scratch: &scratch)[0]
            #expect(x.alternatives.map(\.id) == y.alternatives.map(\.id))
            #expect(x.alternatives.map(\.logProb) == y.alternatives.map(\.logProb))
        }
    }

    static let settings: [SamplingParameters] = [
        SamplingParameters(),
        SamplingParameters(temperature: 0.7),
        SamplingParameters(temperature: 1.6),
        SamplingParameters(temperature: 1, topK: 5),
        SamplingParameters(temperature: 1.3, topK: 40),
        SamplingParameters(temperature: 1, topP: 0.8),
        SamplingParameters(temperature: 0.8, topK: 20, topP: 0.9),
        SamplingParameters(temperature: 0),
    ]

    /// Drawing thousands of times per state and setting is slow in a debug build: the
    /// frequency test runs on every order and pruning case but not on every model × format.
    static let sampledModels: [(String, ModelFormat)] = [
        ("reference/kenlm/edge.arpa", .arpa), ("reference/kenlm/edge.arpa", .lmb), ("reference/kenlm/edge_nounk.arpa", .arpa),
        ("reference/kenlm/kjv2.arpa.gz", .arpa), ("reference/kenlm/kjv3.arpa.gz", .lmb), ("reference/kenlm/kjv4.arpa.gz", .arpa),
    ]

    @Test(arguments: sampledModels)
    func sampledFrequenciesMatchTheFullDistribution(name: String, format: ModelFormat) throws {
        let model = try ModelCache.model(name, format)
        let excludedSets: [Set<TokenID>] = [[WordID.unknownWord], [WordID.unknownWord, model.endSentence]]
        for (i, state) in Self.states(model, count: 4, seed: 11).enumerated() {
            let row = Self.row(model, state)
            for (j, p) in Self.settings.enumerated() {
                let excluded = excludedSets[(i + j) % 2]
                let expected = Self.target(row, p, excluded: excluded)
                let draws = 1_000
                var samplers = (0..<draws).map { Sampler(parameters: p, seed: UInt64(1000 * i + j * 37 + $0), excluded: excluded) }
                var scratch: [Float] = []
                let drawn = model.drawNext(
                    Array(repeating: state, count: draws), samplers: &samplers, alternatives: Array(repeating: 0, count: draws), scratch: &scratch)
                var counts = [Int](repeating: 0, count: row.count)
                for d in drawn {
                    counts[Int(d.id)] += 1
                    #expect(d.logProb == row[Int(d.id)])
                }
                // Nothing outside the support is ever drawn.
                for (w, c) in counts.enumerated() where c > 0 {
                    #expect(expected[w] > 0, "state \(i) setting \(j): drew \(w) with probability 0")
                }
                let (statistic, critical) = Self.chiSquare(counts, expected, draws: draws)
                #expect(statistic <= critical, "state \(i) setting \(j) (\(Self.path(model))): χ² \(statistic) > \(critical)")
            }
        }
    }

    /// The distribution `Sampler` draws from a row (its reference semantics, restated).
    static func target(_ row: [Float], _ p: SamplingParameters, excluded: Set<TokenID>) -> [Double] {
        var result = [Double](repeating: 0, count: row.count)
        let allowed = row.indices.filter { row[$0] != -.infinity && !excluded.contains(TokenID($0)) }
        if p.temperature < 1e-4 {
            let best = allowed.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!
            result[best] = 1
            return result
        }
        var candidates = allowed.map { (id: $0, score: Double(row[$0]) / p.temperature) }
        if (p.topK > 0 && p.topK < candidates.count) || p.topP < 1 {
            candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
            if p.topK > 0 && p.topK < candidates.count { candidates.removeSubrange(p.topK...) }
        }
        let top = candidates.map(\.score).max()!
        var weights = candidates.map { exp($0.score - top) }
        if p.topP < 1 {
            let keep = nucleusSize(weights, topP: p.topP, total: weights.reduce(0, +))
            weights.removeSubrange(keep...)
            candidates.removeSubrange(keep...)
        }
        let total = weights.reduce(0, +)
        for (c, w) in zip(candidates, weights) { result[c.id] = w / total }
        return result
    }

    /// Pearson's statistic over the words expected at least 5 times (the rest pooled in one
    /// bin), and the critical value at p = 10⁻⁴ (Wilson–Hilferty). The seeds are fixed, so the
    /// outcome is too; the level only says how unlikely a pass by a wrong distribution is.
    static func chiSquare(_ counts: [Int], _ expected: [Double], draws: Int) -> (Double, Double) {
        var statistic = 0.0
        var bins = 0
        var restObserved = 0.0, restExpected = 0.0
        for w in counts.indices {
            let e = expected[w] * Double(draws)
            if e >= 5 {
                statistic += (Double(counts[w]) - e) * (Double(counts[w]) - e) / e
                bins += 1
            } else {
                restObserved += Double(counts[w])
                restExpected += e
            }
        }
        if restExpected >= 5 {
            statistic += (restObserved - restExpected) * (restObserved - restExpected) / restExpected
            bins += 1
        } else if restObserved > 10 {
            statistic += 1_000  // far more draws where almost none were expected
        }
        let df = Double(max(bins - 1, 1))
        let z = 3.719
        let a = 2 / (9 * df)
        return (statistic, df * pow(1 - a + z * a.squareRoot(), 3))
    }
}
