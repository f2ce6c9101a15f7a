#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LMCore

/// What `query`'s byte-level loop needs from a model's tables: word ids from raw bytes,
/// KenLM's `FullScore`, and a prefetch of the slots a coming lookup will touch. LMServe's own
/// hashed tables and KenLM's binary files both provide it, so `lmserve ppl` reads text the
/// same way, without a `String` per word, whichever file it was given.
protocol ByteQuerySearch {
    /// The id of a word given by its UTF-8 bytes; `<unk>` (0) when not in the vocabulary.
    func wordID(_ p: UnsafePointer<UInt8>, count: Int) -> WordID
    /// KenLM's `FullScore` (see `KenLMSearch.fullScore`).
    func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int)
    /// Starts loading what the lookup of `ids[position]` will read, its context being the ids
    /// before it (most recent first). A hint: it changes no state.
    func prefetchLookups(_ ids: UnsafePointer<WordID>, at position: Int)
}

/// KenLM's whitespace within a line: space, `\t`, `\v`, `\f`, `\r`.
@inline(__always)
func isQuerySpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D && b != 0x0A) }

/// The surface `query` prints for the `</s>` it scores at each line's end.
nonisolated(unsafe) private let sentenceEndSurface: UnsafeRawBufferPointer = {
    let bytes = Array("</s>".utf8)
    let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    p.copyBytes(from: bytes)
    return UnsafeRawBufferPointer(p)
}()

/// How many words ahead the table slots are prefetched.
let queryPrefetchDistance = 3

extension ByteQuerySearch {
    /// Scores raw text the way KenLM's `query` reads it — the whitespace tokenizer, bytes only,
    /// no allocation per word — adding every line to `report` (same output as the generic
    /// `QueryReport.score(text:model:tokenizer:)`). `drain` is called whenever at least
    /// `flushBytes` of output are pending. A last line without `\n` is scored in full.
    ///
    /// Each line is first turned into word ids (with `<s>` in front and `</s>` at the end under
    /// sentence context); while word j is scored, the table slots word j + 3 will probe are
    /// prefetched, so the cache misses of consecutive words overlap.
    func query(
        text: UnsafeRawBufferPointer, start: NGramState, beginSentence: WordID, endSentence: WordID,
        report: inout QueryReport, flushBytes: Int, drain: (inout QueryReport) -> Void
    ) {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else { return }
        let end = text.count
        let sentenceContext = report.sentenceContext
        let printWords = report.verbosity == .word
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
                while i < lineEnd && isQuerySpace(base[i]) { i &+= 1 }
                if i >= lineEnd { break }
                let wordStart = i
                while i < lineEnd && !isQuerySpace(base[i]) { i &+= 1 }
                ids.append(wordID(base + wordStart, count: i - wordStart))
                if printWords { spans.append((wordStart, i - wordStart)) }
            }
            if sentenceContext { ids.append(endSentence) }
            ids.withUnsafeBufferPointer { idp in
                let p = idp.baseAddress!
                let n = idp.count
                var k = first
                while k < min(first + queryPrefetchDistance, n) {
                    prefetchLookups(p, at: k)
                    k += 1
                }
                var state = start
                var total: Float = 0
                for j in first..<n {
                    if j + queryPrefetchDistance < n { prefetchLookups(p, at: j + queryPrefetchDistance) }
                    let id = p[j]
                    let r = fullScore(state, id, &out)
                    state = out
                    if printWords {
                        let surface =
                            j - first < spans.count
                            ? UnsafeRawBufferPointer(start: base + spans[j - first].start, count: spans[j - first].count)
                            : sentenceEndSurface
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
}

extension NGramLanguageModel {
    /// `lmserve ppl`'s path: `search`'s byte-level `query` for the whitespace tokenizer, the
    /// generic line-by-line scoring for any other.
    func query<S: ByteQuerySearch>(
        text: UnsafeRawBufferPointer, through search: S, tokenizer: Tokenizer, report: inout QueryReport,
        flushBytes: Int = 1 << 16, drain: (inout QueryReport) -> Void
    ) {
        guard tokenizer == .whitespace else {
            return report.score(text: Substring(String(decoding: text, as: UTF8.self)), model: self, tokenizer: tokenizer, drain: drain)
        }
        search.query(
            text: text, start: initialState(sentenceContext: report.sentenceContext), beginSentence: beginSentence,
            endSentence: endSentence, report: &report, flushBytes: flushBytes, drain: drain)
    }
}
