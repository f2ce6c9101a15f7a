import Foundation
import LMCore
import Logging
import Testing
@testable import NGram
@testable import SentencePiece

/// The SentencePiece library through the C shim: the golden tokenization of test.raw.txt, query's
/// numbers on the pieces (../shared/reference/sentencepiece, README there), the decoder, and
/// errors that name the file.
@Suite struct SentencePieceTests {
    static let shared: URL = {
        if let env = ProcessInfo.processInfo.environment["LMSERVE_SHARED"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }()
    static func path(_ relative: String) -> String { shared.appendingPathComponent(relative).path }
    static func lines(_ relative: String) throws -> [Substring] {
        try String(contentsOfFile: path(relative), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    }
    static let model = Result { try SentencePieceModel(path: path("reference/sentencepiece/kjv-sp8k.model")) }

    @Test func encodesTheGoldenPieces() throws {
        let sp = try Self.model.get()
        #expect(sp.pieceCount == 8000)
        let raw = try Self.lines("corpora/kjv/test.raw.txt")
        let golden = try Self.lines("reference/sentencepiece/kjv-sp8k.test.pieces.txt")
        try #require(raw.count == golden.count && raw.count == 1556)
        var mismatches = 0
        for (line, expected) in zip(raw, golden) where sp.encode(line).joined(separator: " ") != expected {
            mismatches += 1
            if mismatches <= 3 { Issue.record("\(line): \(sp.encode(line)) vs \(expected)") }
        }
        #expect(mismatches == 0)
    }

    /// Raw text through the tokenizer and the 3-gram over pieces gives query's numbers.
    @Test func scoresRawTextAsQueryScoresThePieces() throws {
        let tokenizer = Tokenizer.subword(try Self.model.get())
        let lm = try NGramModel.loadARPA(path: Self.path("reference/sentencepiece/kjv-sp8k.3gram.arpa.gz"), logger: Logger(label: "test"))
        let raw = try String(contentsOfFile: Self.path("corpora/kjv/test.raw.txt"), encoding: .utf8)
        var report = QueryReport(verbosity: .sentence, sentenceContext: true)
        report.score(text: Substring(raw), model: lm, tokenizer: tokenizer, drain: { _ in })
        let expected = try String(contentsOfFile: Self.path("reference/sentencepiece/kjv-sp8k.3gram.test.sentences.txt"), encoding: .utf8)
        #expect(String(decoding: report.output, as: UTF8.self) == expected)
        report.finish()
        let summary = try Self.lines("reference/sentencepiece/kjv-sp8k.3gram.test.summary.txt")
        let ppl = Double(summary[0].split(separator: "\t")[1])!
        #expect(abs(report.totals.perplexity / ppl - 1) < 1e-6)
        #expect(report.totals.tokens == Int(summary[3].split(separator: "\t")[1])!)
    }

    /// Decoding is the library's; pieces appended one at a time add up to the decoded whole.
    @Test func decodesAndStreams() throws {
        let sp = try Self.model.get()
        let line: Substring = "And God said, Let there be light: and there was light."
        let pieces = sp.encode(line)
        #expect(sp.decode(pieces) == String(line))
        var detokenizer = Detokenizer(tokenizer: .subword(sp))
        let streamed = pieces.map { detokenizer.append($0) }.joined()
        #expect(streamed == String(line))
        // Byte pieces (no such piece in this model, but the decoder knows the form) join into one character.
        var bytes = Detokenizer(tokenizer: .subword(sp))
        let parts = ["▁caf", "<0xC3>", "<0xA9>"].map { bytes.append($0) }
        #expect(parts.joined() == sp.decode(["▁caf", "<0xC3>", "<0xA9>"]))
    }

    @Test func aMissingOrCorruptModelNamesTheFile() throws {
        let missing = "/nonexistent/kjv.model"
        #expect { _ = try SentencePieceModel(path: missing) } throws: { "\($0)".contains(missing) }
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("lmserve-sp-\(getpid()).model").path
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: corrupt))
        defer { try? FileManager.default.removeItem(atPath: corrupt) }
        #expect { _ = try SentencePieceModel(path: corrupt) } throws: { "\($0)".contains(corrupt) }
    }
}
