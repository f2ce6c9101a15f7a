import Foundation
import LMCore
import Testing
@testable import NGram

/// Orders up to 8 load and score with full-length matches; order 9 is refused (fixture test).
@Suite struct HighOrderTests {
    /// An order-8 ARPA: unigrams <unk> <s> </s> a, and "<s> a … a" for every order 2…8.
    static func arpa() -> String {
        var s = "\\data\\\nngram 1=4\n"
        for k in 2...8 { s += "ngram \(k)=1\n" }
        s += "\n\\1-grams:\n-1\t<unk>\n-99\t<s>\t-0.25\n-0.5\t</s>\n-0.75\ta\t-0.125\n"
        for k in 2...8 {
            s += "\n\\\(k)-grams:\n-0.\(k)\t<s>" + String(repeating: " a", count: k - 1)
            s += k < 8 ? "\t-0.0625\n" : "\n"
        }
        return s + "\n\\end\\\n"
    }

    @Test(arguments: ModelFormat.allCases)
    func order8(format: ModelFormat) throws {
        let path = ModelCache.tempDirectory.appendingPathComponent("order8.arpa").path
        try Self.arpa().write(toFile: path, atomically: true, encoding: .utf8)
        var model = try NGramModel.load(path: path, logger: ModelCache.logger)
        if format == .lmb {
            let bin = path + ".lmb"
            try model.writeBinary(to: bin)
            model = try NGramModel.load(path: bin, logger: ModelCache.logger)
        }
        #expect(model.order == 8)
        let scores = model.score(sentence: Array(repeating: "a", count: 7), sentenceContext: true)
        #expect(scores.prefix(7).map(\.ngramLength) == [2, 3, 4, 5, 6, 7, 8])
        #expect(scores.prefix(7).map(\.log10Prob) == (2...8).map { Float("-0.\($0)")! })
        // The state never holds more than order − 1 words.
        var state = model.initialState(sentenceContext: true)
        for _ in 0..<20 { _ = model.score(model.wordID("a"), after: &state) }
        #expect(state.length <= 7)
        // Each missing suffix "a … a" was added as a blank, so the lookups still find n-grams.
        #expect(model.storedCounts[1] == 2 && model.storedCounts[7] == 1)
    }

    @Test func literalUnknownIsOOV() throws {
        let model = try ModelCache.model("reference/kenlm/edge.arpa", .arpa)
        #expect(model.wordID("<unk>") == 0)
        #expect(model.wordID("<UNK>") == 0)
        #expect(model.wordID("looking") == 23)
        #expect(model.vocabulary.idOrUnknown("looking") == 23)
        var states = [model.initialState(sentenceContext: true), model.initialState(sentenceContext: false)]
        model.advance(&states, by: [23, 25])
        #expect(states[0].context == [23, model.beginSentence] && states[1].context == [25])
    }
}
