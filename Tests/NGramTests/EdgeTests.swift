import Foundation
import LMCore
import Testing
@testable import NGram

/// KenLM's behaviour on `edge.arpa` / `edge_nounk.arpa`: pruned suffixes (blanks), `<unk>`
/// backoff, missing `<unk>`, literal `<unk>`, SRILM's -99, every word's length and probability.
@Suite struct EdgeTests {
    @Test(arguments: ["edge", "edge_nounk"], ModelFormat.allCases)
    func everyWordMatchesKenLM(name: String, format: ModelFormat) throws {
        let model = try ModelCache.model("reference/kenlm/\(name).arpa", format)
        let sentences = try SharedData.lines("reference/kenlm/edge.sentences.txt")
        let reference = try SharedData.lines("reference/kenlm/\(name).query.words.txt").compactMap(ReferenceLine.init)
        try #require(reference.count == sentences.count)
        var report = QueryReport(verbosity: .word, sentenceContext: true)
        for (line, ref) in zip(sentences, reference) {
            let words = Tokenizer.whitespace.tokenize(line)
            let scores = model.score(sentence: words, sentenceContext: true)
            try #require(scores.count == ref.words.count, "\(line)")
            for (s, r) in zip(scores, ref.words) {
                #expect(s.id == r.id, "\(line): \(r.word)")
                #expect(s.ngramLength == r.length, "\(line): \(r.word)")
                #expect(s.log10Prob == r.prob, "\(line): \(r.word) \(s.log10Prob) vs \(r.prob)")
            }
            report.addSentence(words: words, scores: scores)
        }
        // The printed text is KenLM's, byte for byte.
        let expected = try String(contentsOfFile: SharedData.path("reference/kenlm/\(name).query.words.txt"), encoding: .utf8)
        #expect(String(decoding: report.output, as: UTF8.self) == expected)
        try ReferenceSummary("reference/kenlm/\(name).query.summary.txt").expectMatches(report.totals)
        let printed = try String(contentsOfFile: SharedData.path("reference/kenlm/\(name).query.summary.txt"), encoding: .utf8)
        #expect(report.summaryText == printed)
    }

    @Test func missingUnknownGetsMinus100() throws {
        let model = try ModelCache.model("reference/kenlm/edge_nounk.arpa", .arpa)
        #expect(!model.hadUnknown)
        #expect(model.search.unigrams[0].prob == -100)
        let withUnk = try ModelCache.model("reference/kenlm/edge.arpa", .arpa)
        #expect(withUnk.hadUnknown)
        #expect(withUnk.vocabulary.count == 37)
        #expect(model.vocabulary.count == 37)
    }
}
