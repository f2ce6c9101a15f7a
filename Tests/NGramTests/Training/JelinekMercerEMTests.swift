import Foundation
import Testing
@testable import NGram

@Suite struct JelinekMercerEMTests {
    /// The fitted weights are a held-out likelihood maximum: moving any λ by ±0.05 does worse.
    @Test func fittedWeightsMaximiseHeldOutLikelihood() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 3000, in: dir)
        var table = TrainingVocabulary()
        let stream = TrainingTokenStream(limit: 1 << 20, temporaryDirectory: dir.path)
        try TrainingCorpusReader(tokenizer: .whitespace, addWords: true).read([slice], into: &table, stream: stream, progress: nil)
        let layout = try #require(CountKeyLayout(vocabularySize: table.count, order: 3))
        var counter = NGramCounter(layout: layout, order: 3, memoryBytes: 1 << 26, temporaryDirectory: dir.path)
        try counter.count(stream, include: { $0 % 10 != 9 })
        let levels = CountLevels(top: try counter.finish(), order: 3, layout: layout, vocabularySize: table.count)
        var heldout: [UInt32] = []
        var sentence = 0
        try stream.forEachChunk { chunk in
            for id in chunk {
                if sentence % 10 == 9 { heldout.append(id) }
                if id == TrainingVocabulary.eos { sentence += 1 }
            }
        }
        let em = JelinekMercerEM(iterations: 300)
        let tokens = em.tokens(levels, heldout: heldout)
        let lambdas = em.fit(tokens, order: 3, vocabularySize: table.count)
        let best = em.log10Likelihood(tokens, lambdas: lambdas, vocabularySize: table.count)
        #expect(lambdas.allSatisfy { $0 > 0 && $0 < 1 })
        for k in 0..<3 {
            for delta in [-0.05, 0.05] {
                var other = lambdas
                other[k] = min(0.9999, max(0.0001, other[k] + delta))
                let ll = em.log10Likelihood(tokens, lambdas: other, vocabularySize: table.count)
                #expect(ll < best, "λ\(k + 1) \(lambdas[k]) + \(delta): \(ll) vs \(best)")
            }
        }
        // And EM beats the uninformed start.
        #expect(best > em.log10Likelihood(tokens, lambdas: [0.5, 0.5, 0.5], vocabularySize: table.count))
    }
}

@Suite struct NGramProgressPrinterTests {
    /// Without a terminal, progress is plain lines (no carriage returns or escape codes).
    @Test func plainLinesWithoutATerminal() throws {
        var text = ""
        let progress = NGramProgressPrinter(totalBytes: 100, isTTY: false, lineInterval: 0) { text += $0 }
        progress.report(.stage("reading"))
        progress.report(.read(bytes: 50, tokens: 1000))
        progress.report(.stage("counting"))
        progress.report(.finished("done"))
        #expect(!text.contains("\r") && !text.contains("\u{1B}"))
        #expect(text.contains("[reading]") && text.contains("50%") && text.contains("[counting]"))
        #expect(text.contains("tokens/s"))
        #expect(text.hasSuffix("s)\n"))
    }
}
