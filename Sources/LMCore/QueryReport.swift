import Foundation

/// How much `ppl` prints: every word, a total per line, or only the corpus summary.
package enum QueryVerbosity: String, Sendable, CaseIterable, Codable {
    case word
    case sentence
    case summary
}

/// Prints what KenLM's `query` prints and accumulates its totals, for any `LanguageModel`.
///
/// Per word (word verbosity): `surface=id ngram_length log10prob` and a tab; per line (word and
/// sentence verbosity): `Total: T OOV: n`; at the end: the four summary lines. Numbers use the
/// shortest round-trip form, as KenLM's double-conversion does. Line totals are summed in
/// `Float` and added to the corpus total as KenLM does, so the summaries agree to the digit.
/// Text accumulates in `output`; callers drain it with `takeOutput()` whenever they like.
package struct QueryReport: Sendable {
    package let verbosity: QueryVerbosity
    package let sentenceContext: Bool
    /// Corpus totals (KenLM's `corpus_total`, `corpus_total_oov_only`, tokens, OOVs).
    package private(set) var totals = PerplexityAccumulator()
    /// Printed bytes not yet taken.
    package private(set) var output: [UInt8] = []

    private var lineTotal: Float = 0
    private var lineOOV = 0

    package init(verbosity: QueryVerbosity, sentenceContext: Bool) {
        self.verbosity = verbosity
        self.sentenceContext = sentenceContext
        output.reserveCapacity(1 << 16)
    }

    /// Returns and clears the printed bytes.
    package mutating func takeOutput() -> [UInt8] {
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    /// Records one scored token; `surface` is the word as it appeared (UTF-8).
    @inline(__always)
    package mutating func addWord(_ surface: UnsafeRawBufferPointer, _ score: TokenScore) {
        lineTotal += score.log10Prob
        totals.tokens += 1
        if score.isOOV {
            lineOOV += 1
            totals.oov += 1
            totals.oovLog10Prob += Double(score.log10Prob)
        }
        guard verbosity == .word else { return }
        output.append(contentsOf: surface)
        output.append(0x3D)  // =
        appendDecimal(UInt64(score.id))
        output.append(0x20)
        appendDecimal(UInt64(score.ngramLength))
        output.append(0x20)
        output.append(contentsOf: Self.shortest(score.log10Prob).utf8)
        output.append(0x09)
    }

    package mutating func addWord<S: StringProtocol>(_ surface: S, _ score: TokenScore) {
        var s = String(surface)
        s.withUTF8 { addWord(UnsafeRawBufferPointer($0), score) }
    }

    /// Counts one OOV token for a caller that tracks line totals itself (see `endLine(total:tokens:)`).
    package mutating func addOOV(log10Prob: Float) {
        lineOOV += 1
        totals.oov += 1
        totals.oovLog10Prob += Double(log10Prob)
    }

    /// Ends a line whose words were not passed to `addWord`: `total` is their `Float` sum in
    /// order, `tokens` their count; OOVs went through `addOOV`. Same result as `addWord` calls.
    package mutating func endLine(total: Float, tokens: Int) {
        lineTotal = total
        totals.tokens += tokens
        endLine()
    }

    /// Records a whole sentence: its words and scores (plus `</s>` last with sentence context).
    package mutating func addSentence<S: StringProtocol>(words: [S], scores: [TokenScore]) {
        for (i, s) in scores.enumerated() {
            if i < words.count { addWord(words[i], s) } else { addWord("</s>", s) }
        }
        endLine()
    }

    /// Ends a line: prints `Total: T OOV: n` (word and sentence verbosity) and adds the line.
    package mutating func endLine() {
        if verbosity != .summary {
            output.append(contentsOf: "Total: ".utf8)
            output.append(contentsOf: Self.shortest(lineTotal).utf8)
            output.append(contentsOf: " OOV: ".utf8)
            appendDecimal(UInt64(lineOOV))
            output.append(0x0A)
        }
        totals.log10Prob += Double(lineTotal)
        totals.sentences += 1
        if sentenceContext { totals.sentenceEnds += 1 }
        lineTotal = 0
        lineOOV = 0
    }

    /// Appends KenLM's four summary lines (printed at every verbosity).
    package mutating func finish() {
        output.append(contentsOf: summaryText.utf8)
    }

    /// KenLM's summary: perplexity including and excluding OOVs, OOVs, tokens.
    package var summaryText: String {
        "Perplexity including OOVs:\t\(Self.shortest(totals.perplexity))\n"
            + "Perplexity excluding OOVs:\t\(Self.shortest(totals.perplexityExcludingOOV))\n"
            + "OOVs:\t\(totals.oov)\nTokens:\t\(totals.tokens)\n"
    }

    /// The machine-readable summary (`--json`): KenLM and SRILM perplexities and the totals.
    package var summary: QuerySummary { QuerySummary(totals) }

    /// `summary` as one line of JSON (sorted keys; non-finite numbers as null).
    package var jsonSummary: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(summary)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private mutating func appendDecimal(_ v: UInt64) {
        if v < 10 {
            output.append(0x30 + UInt8(v))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 {
                d[n] = 0x30 + UInt8(x % 10)
                x /= 10
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) { output.append(d[i]) }
        }
    }
}

/// The `--json` summary of a scored text.
package struct QuerySummary: Sendable, Codable, Equatable {
    /// KenLM's `Perplexity including OOVs` and `Perplexity excluding OOVs`.
    package var kenlm: KenLM
    /// SRILM's `ppl` (OOVs excluded, `</s>` counted) and `ppl1` (`</s>` not counted).
    package var srilm: SRILM
    package var tokens: Int
    package var oovs: Int
    package var sentences: Int
    /// Σ log10 p and Σ ln p over every token (OOVs included).
    package var log10Prob: Double
    package var lnProb: Double
    /// Bits per token, OOVs included.
    package var crossEntropyBits: Double?

    package struct KenLM: Sendable, Codable, Equatable {
        package var perplexity: Double?
        package var perplexityExcludingOOVs: Double?
    }

    package struct SRILM: Sendable, Codable, Equatable {
        package var ppl: Double?
        package var ppl1: Double?
    }

    enum CodingKeys: String, CodingKey {
        case kenlm, srilm, tokens, oovs, sentences
        case log10Prob = "log10_prob"
        case lnProb = "ln_prob"
        case crossEntropyBits = "cross_entropy_bits"
    }

    package init(_ t: PerplexityAccumulator) {
        func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
        kenlm = KenLM(perplexity: finite(t.perplexity), perplexityExcludingOOVs: finite(t.perplexityExcludingOOV))
        srilm = SRILM(ppl: finite(t.srilmPPL), ppl1: finite(t.srilmPPL1))
        tokens = t.tokens
        oovs = t.oov
        sentences = t.sentences
        log10Prob = t.log10Prob
        lnProb = t.logProb
        crossEntropyBits = finite(t.crossEntropyBits)
    }
}

extension QuerySummary.KenLM {
    enum CodingKeys: String, CodingKey {
        case perplexity
        case perplexityExcludingOOVs = "perplexity_excluding_oovs"
    }
}
