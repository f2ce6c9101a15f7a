import Foundation
import LMCore
import Testing

/// Locates `../shared` (read in place, never copied) from this source file's position.
enum SharedData {
    static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["LMSERVE_SHARED"] { return URL(fileURLWithPath: env) }
        // Tests/NGramTests/SharedData.swift → repo root → ../shared
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func lines(_ relative: String) throws -> [Substring] {
        let text = try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)?.path
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }
}

/// One word of KenLM's `query` output: `word=id ngram_length log10prob`.
struct ReferenceWord: Equatable {
    var word: Substring
    var id: UInt32
    var length: UInt8
    var prob: Float
}

/// One line of KenLM's per-word output.
struct ReferenceLine {
    var words: [ReferenceWord]
    var total: Float
    var oov: Int

    /// Parses `w=id n p\t…Total: T OOV: n`.
    init?(_ line: Substring) {
        let fields = line.split(separator: "\t")
        guard let last = fields.last, last.hasPrefix("Total: ") else { return nil }
        let t = last.split(separator: " ")
        guard t.count == 4, let total = Float(t[1]), let oov = Int(t[3]) else { return nil }
        self.total = total
        self.oov = oov
        words = []
        for f in fields.dropLast() {
            let parts = f.split(separator: " ")
            guard parts.count == 3, let eq = parts[0].lastIndex(of: "="),
                let id = UInt32(parts[0][parts[0].index(after: eq)...]), let n = UInt8(parts[1]), let p = Float(parts[2])
            else { return nil }
            words.append(ReferenceWord(word: parts[0][..<eq], id: id, length: n, prob: p))
        }
    }
}

/// KenLM's four summary lines.
struct ReferenceSummary {
    var perplexity: Double
    var perplexityExcludingOOV: Double
    var oov: Int
    var tokens: Int

    init(_ relative: String) throws {
        var values: [String: Substring] = [:]
        for l in try SharedData.lines(relative) {
            let kv = l.split(separator: "\t")
            if kv.count == 2 { values[String(kv[0])] = kv[1] }
        }
        perplexity = Double(values["Perplexity including OOVs:"] ?? "") ?? .nan
        perplexityExcludingOOV = Double(values["Perplexity excluding OOVs:"] ?? "") ?? .nan
        oov = Int(values["OOVs:"] ?? "") ?? -1
        tokens = Int(values["Tokens:"] ?? "") ?? -1
    }

    /// `totals` agree with these lines: tokens and OOVs exactly, both perplexities within 1e-6.
    func expectMatches(_ totals: PerplexityAccumulator, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(totals.tokens == tokens, sourceLocation: sourceLocation)
        #expect(totals.oov == oov, sourceLocation: sourceLocation)
        #expect(abs(totals.perplexity / perplexity - 1) < 1e-6, sourceLocation: sourceLocation)
        #expect(abs(totals.perplexityExcludingOOV / perplexityExcludingOOV - 1) < 1e-6, sourceLocation: sourceLocation)
    }
}
