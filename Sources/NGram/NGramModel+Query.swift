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

    /// How many words ahead the table slots are prefetched.
    static let prefetchDistance = 3

    /// Scores raw text the way KenLM's `query` reads it — the whitespace tokenizer, bytes only,
    /// no allocation per word — adding every line to `report` (same output as the generic
    /// `QueryReport.score(text:model:tokenizer:)`). `drain` is called whenever at least
    /// `flushBytes` of output are pending. A last line without `\n` is scored in full.
    ///
    /// Each line is first turned into word ids (with `<s>` in front and `</s>` at the end under
    /// sentence context); while word j is scored, the table slots word j + 3 will probe are
    /// prefetched, so the cache misses of consecutive words overlap.
    package func query(
        text: UnsafeRawBufferPointer, report: inout QueryReport, flushBytes: Int = 1 << 16,
        drain: (inout QueryReport) -> Void
    ) {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else { return }
        let end = text.count
        let sentenceContext = report.sentenceContext
        let printWords = report.verbosity == .word
        let start = initialState(sentenceContext: sentenceContext)
        let first = sentenceContext ? 1 : 0
        var ids: [WordID] = []
        var spans: [(start: Int, count: Int)] = []
        ids.reserveCapacity(256)
        spans.reserveCapacity(256)
        var out = NGramState()
        var i = 0
        while i < end {
            let lineEnd: Int
            if let nl = memchr(base + i, 0x0A, end - i) {
                lineEnd = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
            } else {
                lineEnd = end
            }
            ids.removeAll(keepingCapacity: true)
            spans.removeAll(keepingCapacity: true)
            if sentenceContext { ids.append(beginSentence) }
            while true {
                while i < lineEnd && Self.isSpace(base[i]) { i &+= 1 }
                if i >= lineEnd { break }
                let wordStart = i
                while i < lineEnd && !Self.isSpace(base[i]) { i &+= 1 }
                ids.append(search.wordID(base + wordStart, count: i - wordStart))
                if printWords { spans.append((wordStart, i - wordStart)) }
            }
            if sentenceContext { ids.append(endSentence) }
            ids.withUnsafeBufferPointer { idp in
                let p = idp.baseAddress!
                let n = idp.count
                var k = first
                while k < min(first + Self.prefetchDistance, n) {
                    search.prefetchLookups(p, at: k)
                    k += 1
                }
                var state = start
                var total: Float = 0
                for j in first..<n {
                    if j + Self.prefetchDistance < n { search.prefetchLookups(p, at: j + Self.prefetchDistance) }
                    let id = p[j]
                    let r = search.fullScore(state, id, &out)
                    state = out
                    if printWords {
                        let surface =
                            j - first < spans.count
                            ? UnsafeRawBufferPointer(start: base + spans[j - first].start, count: spans[j - first].count)
                            : Self.sentenceEndSurface
                        report.addWord(
                            surface, TokenScore(id: id, log10Prob: r.prob, ngramLength: UInt8(r.length), isOOV: id == WordID.unknownWord))
                    } else {
                        total += r.prob
                        if id == WordID.unknownWord { report.addOOV(log10Prob: r.prob) }
                    }
                }
                if printWords { report.endLine() } else { report.endLine(total: total, tokens: n - first) }
            }
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

    /// `lmserve ppl`'s path: the byte-level `query` above for the whitespace tokenizer, the
    /// generic line-by-line scoring for any other.
    package func query(
        text: UnsafeRawBufferPointer, tokenizer: Tokenizer, report: inout QueryReport, drain: (inout QueryReport) -> Void
    ) {
        guard tokenizer == .whitespace else {
            return report.score(text: Substring(String(decoding: text, as: UTF8.self)), model: self, tokenizer: tokenizer, drain: drain)
        }
        query(text: text, report: &report, drain: drain)
    }
}
