import Foundation
import LMCore
import Testing
@testable import NGram

/// KenLM binaries built with other `-p`, `-q`, `-b`, `-a` values and orders 5 and 6 than the
/// golden kjv3 files (Fixtures/kenlm, README there) score as `query` scored them.
@Suite struct KenLMOptionsTests {
    static let files = [
        "edge.probing-p2", "edge.probing-p4", "edge.trie", "edge.trie-q4-b2", "edge.trie-a1", "edge.trie-q9-b11-a255",
        "o6.probing-p1.2", "o6.trie-a3", "o6.trie-q5-b3-a6",
    ]

    @Test(arguments: files)
    func matchesQuery(name: String) throws {
        let model = try KenLMBinary.load(path: SharedData.fixture("kenlm/\(name).binary"))
        let output = try String(contentsOfFile: SharedData.fixture("kenlm/\(name).query.txt"), encoding: .utf8)
            .split(separator: "\n")
        let reference = output.compactMap(ReferenceLine.init)
        let text = try String(contentsOfFile: SharedData.fixture("kenlm/\(name.prefix { $0 != "." }).text.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try #require(reference.count == text.count && !text.isEmpty)
        #expect(model.order == (name.hasPrefix("o6") ? 6 : 5))
        var report = QueryReport(verbosity: .summary, sentenceContext: true)
        var failures = 0
        for (line, ref) in zip(text, reference) {
            let tokens = Tokenizer.whitespace.tokenize(line)
            let scores = model.score(sentence: tokens, sentenceContext: true)
            report.addSentence(words: tokens, scores: scores)
            guard scores.count == ref.words.count else {
                failures += 1
                continue
            }
            for (s, r) in zip(scores, ref.words) {
                let sameWord = r.id == 0 ? s.isOOV : model.vocabulary[s.id] == String(r.word)
                if s.ngramLength != r.length || abs(s.log10Prob - r.prob) > 1e-6 || !sameWord {
                    failures += 1
                    if failures <= 5 { Issue.record("\(r.word): n \(s.ngramLength) p \(s.log10Prob), query \(r.length) \(r.prob)") }
                }
            }
            let total = scores.reduce(Float(0)) { $0 + $1.log10Prob }
            #expect(abs(total - ref.total) < 1e-4)
        }
        #expect(failures == 0)
        let summary = Dictionary(
            output.compactMap { l -> (String, Double)? in
                let kv = l.split(separator: "\t")
                return kv.count == 2 ? (String(kv[0]), Double(kv[1]) ?? .nan) : nil
            }, uniquingKeysWith: { a, _ in a })
        #expect(abs(report.totals.perplexity / summary["Perplexity including OOVs:"]! - 1) < 1e-6)
        #expect(abs(report.totals.perplexityExcludingOOV / summary["Perplexity excluding OOVs:"]! - 1) < 1e-6)
        #expect(Double(report.totals.tokens) == summary["Tokens:"])
    }

    /// Written back as ARPA (what `lmserve convert` does) and re-read, every file scores exactly
    /// as the binary: same n-gram lengths, same floats, same words.
    @Test(arguments: files)
    func dumpsToARPAThatScoresIdentically(name: String) throws {
        let model = try KenLMBinary.load(path: SharedData.fixture("kenlm/\(name).binary"))
        let exportable = try #require(model as? any ARPAExportable)
        let path = ModelCache.tempDirectory.appendingPathComponent("\(name).arpa.gz").path
        try exportable.writeARPA(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reread = try NGramModel.loadARPA(path: path, logger: ModelCache.logger)
        #expect(reread.order == model.order)
        let text = try String(contentsOfFile: SharedData.fixture("kenlm/\(name.prefix { $0 != "." }).text.txt"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let tokens = Tokenizer.whitespace.tokenize(line)
            let a = model.score(sentence: tokens, sentenceContext: true)
            let b = reread.score(sentence: tokens, sentenceContext: true)
            #expect(a.map(\.log10Prob) == b.map(\.log10Prob) && a.map(\.ngramLength) == b.map(\.ngramLength), "\(line)")
            #expect(a.map { model.vocabulary[$0.id] } == b.map { reread.vocabulary[$0.id] })
        }
    }

    @Test func aFileWithoutVocabularyStringsIsRefused() throws {
        let path = SharedData.fixture("kenlm/edge.probing-novocab.binary")
        #expect {
            _ = try KenLMBinary.load(path: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("no vocabulary strings")
        }
    }

    /// Another format version, another machine's sanity values (word size, byte order, float
    /// layout) and an unfinished file are refused with errors that name the file.
    @Test func otherVersionsAndMachinesAreRefusedNamingTheFile() throws {
        let original = try Array(Data(contentsOf: URL(fileURLWithPath: SharedData.fixture("kenlm/edge.trie.binary"))))
        func refusal(_ edit: (inout [UInt8]) -> Void) -> String {
            var bytes = original
            edit(&bytes)
            do {
                _ = try bytes.withUnsafeBytes { try KenLMBinary.load(bytes: $0, name: "edited.binary") }
                return "loaded"
            } catch { return "\(error)" }
        }
        let version = Array("format version 5".utf8)
        let at = try #require((0..<64).first { Array(original[$0..<($0 + version.count)]) == version })
        let v4 = refusal { $0[at + version.count - 1] = UInt8(ascii: "4") }
        #expect(v4.contains("edited.binary") && v4.contains("format version 4"), "\(v4)")
        // The sanity block's float 1.0 (after the padded magic and float 0) written big-endian.
        let sanity = refusal { b in
            let one = KenLMHeader.align8(KenLMHeader.magic.count + 1) + 4
            b.replaceSubrange(one..<(one + 4), with: [0x3F, 0x80, 0, 0])
        }
        #expect(sanity.contains("edited.binary") && sanity.contains("sanity"), "\(sanity)")
        let unfinished = refusal { b in
            b.replaceSubrange(0..<46, with: Array("mmap lm http://kheafield.com/code incomplete\n".utf8))
        }
        #expect(unfinished.contains("edited.binary") && unfinished.contains("did not finish"), "\(unfinished)")
    }
}
