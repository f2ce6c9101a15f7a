import Foundation
import LMCore
import Testing
@testable import NGram

/// ARPA and `.lmb` models written back as ARPA (what `lmserve convert` does) score exactly as
/// they did: the tables hold hashes, not words, so the n-grams are recovered by extension.
@Suite struct ARPADumpTests {
    /// A 3-gram whose suffix `b a` is missing: KenLM (and lmserve) store a blank for it.
    static let missingSuffix: String = {
        let path = ModelCache.tempDirectory.appendingPathComponent("missing-suffix.arpa").path
        let text = """
            \\data\\
            ngram 1=5
            ngram 2=3
            ngram 3=1

            \\1-grams:
            -1.0\t<unk>
            -99\t<s>\t-0.5
            -0.5\t</s>
            -0.7\ta\t-0.3
            -0.9\tb\t-0.2

            \\2-grams:
            -0.2\t<s> a\t-0.1
            -0.3\ta b\t-0.15
            -0.4\tb </s>

            \\3-grams:
            -0.1\ta b a

            \\end\\

            """
        try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }()

    /// Models with pruned n-grams (edge), a missing suffix filled with a blank, no `<unk>`, and
    /// a single order.
    static let models: [(file: String, text: String)] = [
        (SharedData.path("reference/kenlm/edge.arpa"), SharedData.fixture("kenlm/edge.text.txt")),
        (SharedData.path("reference/kenlm/edge_nounk.arpa"), SharedData.fixture("kenlm/edge.text.txt")),
        (missingSuffix, ""),
        (SharedData.fixture("unigram.arpa"), ""),
    ]

    static func sentences(_ textFile: String) throws -> [Substring] {
        let extra: [Substring] = ["b a b a", "a b </s> a", "zzz a b", "a", ""]
        guard !textFile.isEmpty else { return extra }
        return try String(contentsOfFile: textFile, encoding: .utf8).split(separator: "\n") + extra
    }

    static func expectSameScores(_ a: some NGramLanguageModel, _ b: some NGramLanguageModel, on lines: [Substring]) {
        for line in lines {
            let tokens = Tokenizer.whitespace.tokenize(line)
            for context in [true, false] {
                let x = a.score(sentence: tokens, sentenceContext: context)
                let y = b.score(sentence: tokens, sentenceContext: context)
                #expect(x.map(\.log10Prob) == y.map(\.log10Prob) && x.map(\.ngramLength) == y.map(\.ngramLength), "\(line)")
                #expect(x.map { a.vocabulary[$0.id] } == y.map { b.vocabulary[$0.id] })
            }
        }
    }

    @Test(arguments: 0..<models.count, [".arpa", ".arpa.gz"])
    func arpaAndLMBDumpToARPAThatScoresIdentically(index: Int, suffix: String) throws {
        let (file, textFile) = Self.models[index]
        let name = URL(fileURLWithPath: file).lastPathComponent
        let model = try NGramModel.loadARPA(path: file, logger: ModelCache.logger)
        let lmb = ModelCache.tempDirectory.appendingPathComponent("dump-\(name)-\(index).lmb").path
        try model.writeBinary(to: lmb)
        defer { try? FileManager.default.removeItem(atPath: lmb) }
        let binary = try NGramModel.loadBinary(path: lmb)
        let lines = try Self.sentences(textFile)
        for (source, kind) in [(model, "arpa"), (binary, "lmb")] {
            let out = ModelCache.tempDirectory.appendingPathComponent("dump-\(name)-\(kind)\(suffix)").path
            try source.writeARPA(to: out)
            defer { try? FileManager.default.removeItem(atPath: out) }
            let reread = try NGramModel.loadARPA(path: out, logger: ModelCache.logger)
            #expect(reread.order == model.order)
            #expect(reread.vocabulary.count == model.vocabulary.count)
            Self.expectSameScores(model, reread, on: lines)
        }
    }

    /// Every n-gram is listed once, the blank for the missing suffix `b a` included (its
    /// probability from the backoff: p(a) + b(b)), with the values the model holds.
    @Test func listsEveryEntryOnceWithBlanks() throws {
        let model = try NGramModel.loadARPA(path: Self.missingSuffix, logger: ModelCache.logger)
        let levels = try model.arpaEntries()
        func text(_ e: ARPAEntry) -> String { e.words.map { model.vocabulary[$0] }.joined(separator: " ") }
        #expect(levels.map(\.count) == [5, 4, 1])
        #expect(Set(levels[1].map(text)) == ["<s> a", "a b", "b </s>", "b a"])
        #expect(levels[2].map(text) == ["a b a"])
        let ab = try #require(levels[1].first { text($0) == "a b" })
        #expect(ab.prob == -0.3 && ab.backoff == -0.15)
        let blank = try #require(levels[1].first { text($0) == "b a" })
        #expect(abs(blank.prob - (-0.9)) < 1e-6)
        #expect(levels[2][0].prob == -0.1 && levels[2][0].backoff == nil)
    }

    /// A failed write leaves nothing at the destination (the text goes to a temporary name
    /// beside it first).
    @Test func aFailedWriteLeavesNoFile() throws {
        let model = try NGramModel.loadARPA(path: SharedData.fixture("unigram.arpa"), logger: ModelCache.logger)
        let missingDirectory = ModelCache.tempDirectory.appendingPathComponent("no-such-dir/out.arpa").path
        #expect(throws: ARPAExportError.self) { try model.writeARPA(to: missingDirectory) }
        #expect(!FileManager.default.fileExists(atPath: missingDirectory))
    }
}
