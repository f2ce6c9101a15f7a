import Foundation
import LMCore

extension NGramModel: LanguageModel {
    package typealias State = NGramState

    /// The id of a word given as UTF-8 bytes (`<unk>` = 0 when absent); allocates nothing.
    @inline(__always)
    package func wordID(_ bytes: UnsafeBufferPointer<UInt8>) -> WordID {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return search.wordID(WordHashEmpty.pointer, count: 0) }
        return search.wordID(p, count: bytes.count)
    }

    /// The id of `word` (`<unk>` = 0 when absent).
    package func wordID<S: StringProtocol>(_ word: S) -> WordID {
        if let id = word.utf8.withContiguousStorageIfAvailable({ wordID($0) }) { return id }
        var copy = String(word)
        return copy.withUTF8 { wordID($0) }
    }

    /// Scores `word` after `state` and advances `state` (KenLM's `FullScore`).
    @inline(__always)
    package func score(_ word: WordID, after state: inout NGramState) -> TokenScore {
        let word = checked(word)
        var out = NGramState()
        let r = search.fullScore(state, word, &out)
        state = out
        return TokenScore(id: word, log10Prob: r.prob, ngramLength: UInt8(r.length), isOOV: word == WordID.unknownWord)
    }

    /// `id` if it is in the vocabulary, else `<unk>` (ids from callers are not trusted).
    @inline(__always)
    private func checked(_ id: WordID) -> WordID { Int(id) < search.vocabularySize ? id : WordID.unknownWord }

    package func using(threads: Int) -> NGramModel {
        var model = self
        model.threads = max(1, threads)
        return model
    }

    package func initialState(sentenceContext: Bool) -> NGramState {
        search.initialState(sentenceContext: sentenceContext, beginSentence: beginSentence)
    }

    /// Row i = ln p(w | states[i]) for every word id w, with backoff; `<s>` gets −∞.
    ///
    /// One `FullScore` per vocabulary word: O(V × order) hash probes per state, their table
    /// slots prefetched eight words ahead.
    package func nextTokenLogProbs(_ states: [NGramState], into output: UnsafeMutableBufferPointer<Float>) {
        let v = search.vocabularySize
        precondition(output.count >= states.count * v, "output holds states.count × vocabulary.count floats")
        // Rows are independent: a batch is spread over `threads` (each row is ~V lookups).
        let workers = min(states.count, threads)
        let rows = UnsafeSendableBuffer(output)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var row = worker
            while row < states.count {
                fillRow(states[row], into: rows.buffer, base: row * v)
                row += workers
            }
        }
    }

    /// Writes ln p(w | state) for every word w at `output[base...]`.
    private func fillRow(_ state: NGramState, into output: UnsafeMutableBufferPointer<Float>, base: Int) {
        let v = search.vocabularySize
        let ln10 = LogBase.ln10Float
        var out = NGramState()
        let ahead = 8
        for w in 0..<min(ahead, v) { search.prefetchLookups(WordID(w), after: state) }
        for w in 0..<v {
            if w + ahead < v { search.prefetchLookups(WordID(w + ahead), after: state) }
            output[base + w] = search.fullScore(state, WordID(w), &out).prob * ln10
        }
        if beginSentence != WordID.unknownWord { output[base + Int(beginSentence)] = -.infinity }
    }

    /// Draws from the successor lists (`SuccessorSampler`) when the model has them; a state
    /// they cannot serve, and a model without them, go through the full distribution.
    package func drawNext(_ states: [NGramState], samplers: inout [Sampler], alternatives: [Int], scratch: inout [Float]) -> [NextToken] {
        guard let successors else { return fullDistributionDraw(states, samplers: &samplers, alternatives: alternatives, scratch: &scratch) }
        precondition(states.count == samplers.count && states.count == alternatives.count)
        var drawn = [NextToken?](repeating: nil, count: states.count)
        let workers = min(states.count, threads)
        drawn.withUnsafeMutableBufferPointer { d in
            samplers.withUnsafeMutableBufferPointer { s in
                let results = UnsafeSendableBuffer(d), rows = UnsafeSendableBuffer(s)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var row = worker
                    while row < states.count {
                        results.buffer[row] = successors.draw(states[row], sampler: &rows.buffer[row], alternatives: alternatives[row])
                        row += workers
                    }
                }
            }
        }
        let missing = drawn.indices.filter { drawn[$0] == nil }
        if !missing.isEmpty {
            var subset = missing.map { samplers[$0] }
            let full = fullDistributionDraw(missing.map { states[$0] }, samplers: &subset, alternatives: missing.map { alternatives[$0] }, scratch: &scratch)
            for (j, row) in missing.enumerated() {
                samplers[row] = subset[j]
                drawn[row] = full[j]
            }
        }
        return drawn.map { $0! }
    }
}
