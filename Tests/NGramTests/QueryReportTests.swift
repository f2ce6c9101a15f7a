import Foundation
import LMCore
import Testing
@testable import NGram

/// The CLI's byte-level fast path and the generic `QueryReport` path print the same bytes, and
/// numbers print the way KenLM prints them.
@Suite struct QueryReportTests {
    static func generic(_ model: some LanguageModel, _ text: String, _ verbosity: QueryVerbosity, context: Bool) -> (String, QueryReport) {
        var report = QueryReport(verbosity: verbosity, sentenceContext: context)
        var out: [UInt8] = []
        report.score(text: Substring(text), model: model, tokenizer: .whitespace) { out += $0.takeOutput() }
        report.finish()
        out += report.takeOutput()
        return (String(decoding: out, as: UTF8.self), report)
    }

    static func fast(_ model: NGramModel, _ text: String, _ verbosity: QueryVerbosity, context: Bool) -> (String, QueryReport) {
        var report = QueryReport(verbosity: verbosity, sentenceContext: context)
        var out: [UInt8] = []
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { b in
            model.query(text: UnsafeRawBufferPointer(b), report: &report, flushBytes: 100) { out += $0.takeOutput() }
        }
        report.finish()
        out += report.takeOutput()
        return (String(decoding: out, as: UTF8.self), report)
    }

    @Test(arguments: QueryVerbosity.allCases, [true, false])
    func fastPathPrintsWhatGenericPathPrints(verbosity: QueryVerbosity, context: Bool) throws {
        let model = try ModelCache.model("reference/kenlm/kjv3.arpa.gz", .arpa)
        let kjv = try String(contentsOfFile: SharedData.path("corpora/kjv/test.txt"), encoding: .utf8)
        // Odd spacing, empty lines, a literal <unk>, \r\n, and a last line without newline.
        let text = String(kjv.prefix(20_000)) + "\n\n  and \t the\u{0B}lord\r\n<unk> zzz <s> </s>\nin the beginning"
        let (g, gr) = Self.generic(model, text, verbosity, context: context)
        let (f, fr) = Self.fast(model, text, verbosity, context: context)
        #expect(g == f)
        #expect(gr.totals == fr.totals)
        #expect(gr.jsonSummary == fr.jsonSummary)
        #expect(f.hasSuffix(fr.summaryText))
    }

    /// `lmserve ppl`'s entry point (the `LanguageModel` requirement), as a model loaded by format.
    static func ppl(_ model: any LanguageModel, _ text: String, _ verbosity: QueryVerbosity, context: Bool) -> (String, QueryReport) {
        var report = QueryReport(verbosity: verbosity, sentenceContext: context)
        var out: [UInt8] = []
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { b in
            model.query(text: UnsafeRawBufferPointer(b), tokenizer: .whitespace, report: &report) { out += $0.takeOutput() }
        }
        report.finish()
        out += report.takeOutput()
        return (String(decoding: out, as: UTF8.self), report)
    }

    /// KenLM binaries take the same byte-level path as `.lmb` files and print what the generic
    /// path prints, for the probing and trie searches (quantized too).
    @Test(arguments: KenLMBinaryTests.files, [QueryVerbosity.word, .summary])
    func kenLMBinariesTakeTheByteLevelPath(name: String, verbosity: QueryVerbosity) throws {
        let model = try KenLMBinaryTests.load(name)
        let kjv = try String(contentsOfFile: SharedData.path("corpora/kjv/test.txt"), encoding: .utf8)
        let text = String(kjv.prefix(200_000)) + "\n\n  and \t the\u{0B}lord\r\n<unk> zzz <s> </s>\nin the beginning"
        for context in [true, false] {
            let (g, gr) = Self.generic(model, text, verbosity, context: context)
            let (f, fr) = Self.ppl(model, text, verbosity, context: context)
            #expect(g == f)
            #expect(gr.jsonSummary == fr.jsonSummary)
        }
    }

    @Test func lastLineWithoutNewlineIsScoredInFull() throws {
        let model = try ModelCache.model("reference/kenlm/edge.arpa", .arpa)
        let (a, ar) = Self.fast(model, "looking on a\nlittle more", .sentence, context: true)
        let (b, br) = Self.fast(model, "looking on a\nlittle more\n", .sentence, context: true)
        #expect(a == b)
        #expect(ar.totals.sentences == 2 && br.totals.tokens == 7)
    }

    @Test func noSentenceContext() throws {
        let model = try ModelCache.model("reference/kenlm/edge.arpa", .arpa)
        let scores = model.score(sentence: ["looking", "on"], sentenceContext: false)
        // No <s>: "looking" is a unigram; no </s> at the end.
        #expect(scores.map(\.ngramLength) == [1, 2])
        #expect(scores.map(\.log10Prob) == [-1.285941, -0.4638903])
    }

    @Test func numbersPrintLikeKenLM() {
        #expect(QueryReport.shortest(Float(-0.036284823)) == "-0.036284823")
        #expect(QueryReport.shortest(Float(-100)) == "-100")
        #expect(QueryReport.shortest(Float(-0.0)) == "-0")
        #expect(QueryReport.shortest(Float(1e-5)) == "0.00001")
        #expect(QueryReport.shortest(Float(1e-7)) == "1e-7")
        #expect(QueryReport.shortest(-Float.infinity) == "-inf")
        #expect(QueryReport.shortest(191243956506213.16) == "191243956506213.16")
        #expect(QueryReport.shortest(1e21) == "1e21")
        #expect(QueryReport.shortest(1.5e20) == "150000000000000000000")
    }

    @Test func jsonSummary() throws {
        let model = try ModelCache.model("reference/kenlm/edge.arpa", .arpa)
        let (_, report) = Self.fast(model, "looking on a\nzzz\n", .summary, context: true)
        let json = try JSONSerialization.jsonObject(with: Data(report.jsonSummary.utf8)) as! [String: Any]
        #expect(json["tokens"] as? Int == 6)
        #expect(json["oovs"] as? Int == 1)
        #expect(json["sentences"] as? Int == 2)
        let kenlm = json["kenlm"] as! [String: Double]
        let srilm = json["srilm"] as! [String: Double]
        #expect(kenlm["perplexity"] == report.totals.perplexity)
        #expect(srilm["ppl1"] == report.totals.srilmPPL1)
        #expect(json["cross_entropy_bits"] as? Double == report.totals.crossEntropyBits)
        #expect(abs((json["ln_prob"] as! Double) - report.totals.log10Prob * M_LN10) < 1e-9)
    }
}
