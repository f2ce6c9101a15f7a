import Foundation
import LMCore
import Testing
@testable import NGram

/// Compares a model with KenLM `query`'s outputs on corpora/kjv/test.txt: every line's total and
/// OOV count, per-word n-gram lengths and log10 probabilities on the first 300 lines, the printed
/// line totals and the summary perplexities.
enum QueryReference {
    /// - Parameters:
    ///   - reference: the outputs' path under ../shared without `.test.*.txt`.
    ///   - sameWord: whether a score names the word query printed (ids may be numbered differently).
    static func check<M: NGramLanguageModel>(
        _ model: M, reference: String, tolerance: Float, sameWord: (TokenScore, ReferenceWord) -> Bool
    ) throws {
        let text = try SharedData.lines("corpora/kjv/test.txt")
        let totals = try SharedData.lines("\(reference).test.sentences.txt")
        let words = try SharedData.lines("\(reference).test.words.txt").prefix(300).compactMap(ReferenceLine.init)
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
                    for (s, r) in zip(scores, ref.words)
                    where s.ngramLength != r.length || abs(s.log10Prob - r.prob) > tolerance || !sameWord(s, r) {
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
        try ReferenceSummary("\(reference).test.summary.txt").expectMatches(report.totals)
        // Line totals print as KenLM prints them.
        let expected = try String(contentsOfFile: SharedData.path("\(reference).test.sentences.txt"), encoding: .utf8)
        let printed = String(decoding: report.output, as: UTF8.self)
        let mismatched = zip(printed.split(separator: "\n"), expected.split(separator: "\n")).filter { $0 != $1 }.count
        #expect(mismatched == 0)
    }
}
