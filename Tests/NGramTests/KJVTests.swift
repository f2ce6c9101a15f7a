import Foundation
import LMCore
import Testing
@testable import NGram

/// The KenLM `query` reference on the KJV test set for lmplz's 2-, 3- and 4-gram models, through
/// both formats: every line total and OOV count, the summary, and per-word lengths and
/// probabilities for the first 300 lines.
@Suite struct KJVTests {
    static let models = ["kjv2", "kjv3", "kjv4"]

    @Test(arguments: models, ModelFormat.allCases)
    func matchesKenLMQuery(name: String, format: ModelFormat) throws {
        let model = try ModelCache.model("reference/kenlm/\(name).arpa.gz", format)
        #expect(model.order == Int(name.dropFirst(3))!)
        let text = try SharedData.lines("corpora/kjv/test.txt")
        let totals = try SharedData.lines("reference/kenlm/\(name).test.sentences.txt")
        let words = try SharedData.lines("reference/kenlm/\(name).test.words.txt").prefix(300).compactMap(ReferenceLine.init)
        try #require(text.count == 1556 && totals.count == 1556 && words.count == 300)

        var report = QueryReport(verbosity: .sentence, sentenceContext: true)
        var lineFailures = 0
        var wordFailures = 0
        for (i, line) in text.enumerated() {
            let tokens = Tokenizer.whitespace.tokenize(line)
            let scores = model.score(sentence: tokens, sentenceContext: true)
            let total = scores.reduce(Float(0)) { $0 + $1.log10Prob }
            let oov = scores.filter(\.isOOV).count
            let t = totals[i].split(separator: " ")
            let refTotal = Float(t[1])!
            let refOOV = Int(t[3])!
            if abs(total - refTotal) > 1e-4 || oov != refOOV {
                lineFailures += 1
                if lineFailures <= 5 { Issue.record("line \(i + 1): total \(total) OOV \(oov), KenLM \(refTotal) OOV \(refOOV)") }
            }
            if i < words.count {
                let ref = words[i]
                if scores.count != ref.words.count {
                    wordFailures += 1
                    Issue.record("line \(i + 1): \(scores.count) scores, KenLM \(ref.words.count)")
                } else {
                    for (s, r) in zip(scores, ref.words) where s.ngramLength != r.length || abs(s.log10Prob - r.prob) > 1e-5 || s.id != r.id {
                        wordFailures += 1
                        if wordFailures <= 5 {
                            Issue.record("line \(i + 1) \(r.word): id \(s.id) n \(s.ngramLength) p \(s.log10Prob), KenLM \(r.id) \(r.length) \(r.prob)")
                        }
                    }
                }
            }
            report.addSentence(words: tokens, scores: scores)
        }
        #expect(lineFailures == 0)
        #expect(wordFailures == 0)
        let summary = try ReferenceSummary("reference/kenlm/\(name).test.summary.txt")
        #expect(report.totals.tokens == summary.tokens)
        #expect(report.totals.oov == summary.oov)
        #expect(abs(report.totals.perplexity / summary.perplexity - 1) < 1e-6)
        #expect(abs(report.totals.perplexityExcludingOOV / summary.perplexityExcludingOOV - 1) < 1e-6)
        // Line totals print as KenLM prints them.
        let expected = try String(contentsOfFile: SharedData.path("reference/kenlm/\(name).test.sentences.txt"), encoding: .utf8)
        let printed = String(decoding: report.output, as: UTF8.self)
        let mismatched = zip(printed.split(separator: "\n"), expected.split(separator: "\n")).filter { $0 != $1 }.count
        #expect(mismatched == 0)
    }
}
