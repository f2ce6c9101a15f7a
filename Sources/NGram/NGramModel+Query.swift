#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LMCore

extension NGramModel {
    /// KenLM's whitespace within a line: space, `\t`, `\v`, `\f`, `\r`.
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D && b != 0x0A) }

    /// Scores raw text the way KenLM's `query` reads it — the whitespace tokenizer, bytes only,
    /// no allocation per word — adding every line to `report` (same output as the generic
    /// `QueryReport.score(text:model:tokenizer:)`). `drain` is called whenever at least
    /// `flushBytes` of output are pending. A last line without `\n` is scored in full.
    package func query(
        text: UnsafeRawBufferPointer, report: inout QueryReport, flushBytes: Int = 1 << 16,
        drain: (inout QueryReport) -> Void
    ) {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else { return }
        let end = text.count
        let sentenceContext = report.sentenceContext
        let printWords = report.verbosity == .word
        let start = initialState(sentenceContext: sentenceContext)
        let eos = endSentence
        var state = start
        var out = NGramState()
        var i = 0
        while i < end {
            // One line: [i, lineEnd).
            let lineEnd: Int
            if let nl = memchr(base + i, 0x0A, end - i) {
                lineEnd = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
            } else {
                lineEnd = end
            }
            state = start
            var total: Float = 0
            var tokens = 0
            while true {
                while i < lineEnd && Self.isSpace(base[i]) { i &+= 1 }
                if i >= lineEnd { break }
                let wordStart = i
                while i < lineEnd && !Self.isSpace(base[i]) { i &+= 1 }
                let id = search.wordID(base + wordStart, count: i - wordStart)
                let r = search.fullScore(state, id, &out)
                state = out
                if printWords {
                    report.addWord(
                        UnsafeRawBufferPointer(start: base + wordStart, count: i - wordStart),
                        TokenScore(id: id, log10Prob: r.prob, ngramLength: UInt8(r.length), isOOV: id == WordID.unknownWord))
                } else {
                    total += r.prob
                    tokens &+= 1
                    if id == WordID.unknownWord { report.addOOV(log10Prob: r.prob) }
                }
            }
            if sentenceContext {
                let r = search.fullScore(state, eos, &out)
                if printWords {
                    report.addWord(
                        Self.sentenceEndSurface,
                        TokenScore(id: eos, log10Prob: r.prob, ngramLength: UInt8(r.length), isOOV: eos == WordID.unknownWord))
                } else {
                    total += r.prob
                    tokens &+= 1
                    if eos == WordID.unknownWord { report.addOOV(log10Prob: r.prob) }
                }
            }
            if printWords { report.endLine() } else { report.endLine(total: total, tokens: tokens) }
            if report.output.count >= flushBytes { drain(&report) }
            i = lineEnd + 1
        }
    }

    nonisolated(unsafe) private static let sentenceEndSurface: UnsafeRawBufferPointer = {
        let bytes = Array("</s>".utf8)
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        p.copyBytes(from: bytes)
        return UnsafeRawBufferPointer(p)
    }()
}
