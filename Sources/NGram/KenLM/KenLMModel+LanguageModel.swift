import Foundation
import LMCore

extension KenLMModel: NGramLanguageModel {
    package typealias State = NGramState

    package func wordID<S: StringProtocol>(_ word: S) -> WordID { lookup.index(word) }

    /// `id` if it is in the vocabulary, else `<unk>` (ids from callers are not trusted).
    @inline(__always)
    private func checked(_ id: WordID) -> WordID { Int(id) < lookup.bound ? id : WordID.unknownWord }

    @inline(__always)
    package func score(_ word: WordID, after state: inout NGramState) -> TokenScore {
        let word = checked(word)
        var out = NGramState()
        let r = search.fullScore(state, word, &out)
        state = out
        return TokenScore(id: word, log10Prob: r.prob, ngramLength: UInt8(r.length), isOOV: word == WordID.unknownWord)
    }

    /// `<s>` with its unigram backoff (KenLM's `BeginSentenceState`), or the empty context.
    package func initialState(sentenceContext: Bool) -> NGramState {
        var s = NGramState()
        if sentenceContext {
            s.words[0] = beginSentence
            s.backoffs[0] = search.unigramBackoff(beginSentence)
            s.length = 1
        }
        return s
    }

    package func using(threads: Int) -> KenLMModel {
        var model = self
        model.threads = max(1, threads)
        return model
    }

    /// Row i = ln p(w | states[i]) for every word id w; `<s>` gets −∞. Rows are spread over `threads`.
    package func nextTokenLogProbs(_ states: [NGramState], into output: UnsafeMutableBufferPointer<Float>) {
        let v = lookup.bound
        precondition(output.count >= states.count * v, "output holds states.count × vocabulary.count floats")
        let workers = min(states.count, threads)
        let rows = UnsafeSendableBuffer(output)
        let ln10 = Float(2.302585092994046)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var row = worker
            var out = NGramState()
            while row < states.count {
                let base = row * v
                for w in 0..<v { rows.buffer[base + w] = search.fullScore(states[row], WordID(w), &out).prob * ln10 }
                if beginSentence != WordID.unknownWord { rows.buffer[base + Int(beginSentence)] = -.infinity }
                row += workers
            }
        }
    }
}

/// A KenLM file's vocabulary and search, seen by `query`'s byte-level loop.
struct KenLMQuerySearch<Search: KenLMSearch>: ByteQuerySearch {
    let lookup: KenLMVocabulary
    let search: Search

    @inline(__always)
    func wordID(_ p: UnsafePointer<UInt8>, count: Int) -> WordID { lookup.index(UnsafeRawPointer(p), count: count) }

    @inline(__always)
    func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int) {
        search.fullScore(inState, word, &out)
    }

    @inline(__always)
    func prefetchLookups(_ ids: UnsafePointer<WordID>, at position: Int) { search.prefetchLookups(ids, at: position) }
}

extension KenLMModel {
    /// `lmserve ppl`'s path: the byte-level `query` (as for `.lmb` files) for the whitespace
    /// tokenizer, the generic line-by-line scoring for any other.
    package func query(
        text: UnsafeRawBufferPointer, tokenizer: Tokenizer, report: inout QueryReport, drain: (inout QueryReport) -> Void
    ) {
        query(text: text, through: KenLMQuerySearch(lookup: lookup, search: search), tokenizer: tokenizer, report: &report, drain: drain)
    }
}
