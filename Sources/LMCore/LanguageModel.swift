/// The score of one token.
package struct TokenScore: Sendable, Equatable {
    /// The id the token was scored as (`unknown` for an OOV word).
    package var id: TokenID
    /// log10 p(token | history).
    package var log10Prob: Float
    /// Length of the n-gram that matched (KenLM's `ngram_length`); 0 for models without n-grams.
    package var ngramLength: UInt8
    /// True when the word was not in the vocabulary (or was literally `<unk>`).
    package var isOOV: Bool

    package init(id: TokenID, log10Prob: Float, ngramLength: UInt8, isOOV: Bool) {
        self.id = id
        self.log10Prob = log10Prob
        self.ngramLength = ngramLength
        self.isOOV = isOOV
    }

    /// Natural-log probability.
    package var logProb: Double { Double(log10Prob) * LogBase.ln10 }
}

/// log10 scores of a batch of token chunks (`LanguageModel.scoreChunksLog10`).
package struct ChunkScores: Sendable, Equatable {
    /// `log10Probs[i][j]`: log10 p of token j of chunk i.
    package var log10Probs: [[Float]]
    /// For a model that mixes others, `members[m][i][j]` is member m's own log10 p of the same
    /// token (its `<unk>` score where the word is outside its vocabulary); empty otherwise.
    package var members: [[[Float]]]

    package init(log10Probs: [[Float]], members: [[[Float]]] = []) {
        self.log10Probs = log10Probs
        self.members = members
    }
}

/// A language model: scores sentences and gives next-token distributions.
///
/// Models are immutable and shared across threads; all mutable state of a computation lives in
/// the caller-owned `State`. Hot loops are generic over this protocol; an existential
/// `any LanguageModel` appears only at the server boundary.
package protocol LanguageModel: Sendable {
    /// The history after a prefix of tokens, owned by the caller.
    associatedtype State: Sendable

    /// What the model is: family, format, shape, what it reports per token.
    var description: ModelDescription { get }
    var vocabulary: Vocabulary { get }

    /// The ids a sentence of words is scored as, and which of them are out of vocabulary; with
    /// `sentenceContext`, `</s>` ends both. The default (`LanguageModel+Tokens.swift`) looks
    /// each word up in `vocabulary`.
    func tokens(of words: [Substring], sentenceContext: Bool) -> (ids: [TokenID], oov: [Bool])

    /// Scores one sentence of words, one `TokenScore` per word.
    ///
    /// With `sentenceContext` the sentence starts in the `<s>` context and one more score, for
    /// `</s>`, ends the result (KenLM's `query`); without, it starts from an empty context and
    /// no `</s>` is scored (`query -n`).
    func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore]

    /// The state at the start of a sentence (`<s>` context), or the empty context.
    func initialState(sentenceContext: Bool) -> State

    /// Advances each `states[i]` by `tokens[i]` (a batch; the two arrays have equal length).
    func advance(_ states: inout [State], by tokens: [TokenID])

    /// Writes the natural-log distribution of the next token for each state: row `i` of
    /// `output` (`vocabulary.count` floats) is log p(· | states[i]). Tokens the model can never
    /// produce (`<s>`) get `-Float.infinity`.
    func nextTokenLogProbs(_ states: [State], into output: UnsafeMutableBufferPointer<Float>)

    /// Draws the next token for each of `states` with `samplers[i]`, with the `alternatives[i]`
    /// most probable tokens (the generation step). The default (below) goes through
    /// `nextTokenLogProbs`, using `scratch` for the rows; a model may draw the same
    /// distribution another way.
    func drawNext(_ states: [State], samplers: inout [Sampler], alternatives: [Int], scratch: inout [Float]) -> [NextToken]

    /// Scores a batch of token chunks: for each position `j`, gives ln p(`tokens[i][j]` | state)
    /// and then advances `states[i]` by that token (natural log).
    ///
    /// Chunks may differ in length; each state ends advanced past its whole chunk. The default
    /// works one position at a time, batched across sequences; models may override it.
    func scoreChunks(_ states: inout [State], tokens: [ArraySlice<TokenID>]) -> [[Float]]

    /// `scoreChunks` in log10, the base `TokenScore` reports, plus each member's own log10 score
    /// for a model that mixes others (`description.members`). The scheduler's stepwise scoring
    /// calls this. The default converts `scoreChunks`' natural logs (in `Float`); N-gram models
    /// give KenLM's log10 probabilities directly, so stepwise and whole-sentence scoring agree
    /// to the bit.
    func scoreChunksLog10(_ states: inout [State], tokens: [ArraySlice<TokenID>]) -> ChunkScores

    /// The model set to spread one batched call over `threads` threads. Models decide no thread
    /// count themselves: whoever runs them passes one in (the server, `batching.workers`). The
    /// default returns the model as it is, for models that compute on the calling thread or
    /// through a library with its own (process-wide) setting.
    func using(threads: Int) -> Self

    /// Scores every line of `text` into a KenLM `query` report (`lmserve ppl`), calling `drain`
    /// as output accumulates. The default decodes the text and scores it line by line through
    /// `score(sentence:sentenceContext:)`; models may read the bytes faster themselves.
    func query(text: UnsafeRawBufferPointer, tokenizer: Tokenizer, report: inout QueryReport, drain: (inout QueryReport) -> Void)
}

extension LanguageModel {
    package func using(threads: Int) -> Self { self }

    package func scoreChunks(_ states: inout [State], tokens: [ArraySlice<TokenID>]) -> [[Float]] {
        precondition(states.count == tokens.count)
        var results: [[Float]] = tokens.map { chunk in
            var row: [Float] = []
            row.reserveCapacity(chunk.count)
            return row
        }
        let longest = tokens.map(\.count).max() ?? 0
        let v = vocabulary.count
        var distribution = [Float](repeating: 0, count: v * states.count)
        for j in 0..<longest {
            let active = tokens.indices.filter { j < tokens[$0].count }
            var batch = active.map { states[$0] }
            let next = active.map { tokens[$0][tokens[$0].startIndex + j] }
            distribution.withUnsafeMutableBufferPointer { buffer in
                nextTokenLogProbs(batch, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<(v * batch.count)]))
            }
            for (row, i) in active.enumerated() {
                results[i].append(distribution[row * v + Int(next[row])])
            }
            advance(&batch, by: next)
            for (row, i) in active.enumerated() { states[i] = batch[row] }
        }
        return results
    }

    package func scoreChunksLog10(_ states: inout [State], tokens: [ArraySlice<TokenID>]) -> ChunkScores {
        let toLog10 = LogBase.inverseLn10Float
        return ChunkScores(log10Probs: scoreChunks(&states, tokens: tokens).map { $0.map { $0 * toLog10 } })
    }

    /// Scores each of `sentences` (convenience over `score(sentence:sentenceContext:)`).
    package func score(sentences: [[Substring]], sentenceContext: Bool) -> [[TokenScore]] {
        sentences.map { score(sentence: $0, sentenceContext: sentenceContext) }
    }
}

/// A token drawn for one sequence: its id, its natural-log probability under the model (before
/// temperature), and the most probable tokens at that step (most probable first; ties: lower
/// id first), as many as were asked for.
package struct NextToken: Sendable {
    package var id: TokenID
    package var logProb: Float
    package var alternatives: [(id: TokenID, logProb: Float)]

    package init(id: TokenID, logProb: Float, alternatives: [(id: TokenID, logProb: Float)]) {
        self.id = id
        self.logProb = logProb
        self.alternatives = alternatives
    }
}

extension LanguageModel {
    /// Draws the next token for each of `states` with `samplers[i]` and reports the
    /// `alternatives[i]` most probable tokens with it (the generation step).
    ///
    /// This default computes the whole next-token distribution (`nextTokenLogProbs`, into
    /// `scratch`, grown as needed) and draws from it; models that can draw the same
    /// distribution without it override `drawNext` (N-gram models with successor lists).
    package func drawNext(_ states: [State], samplers: inout [Sampler], alternatives: [Int], scratch: inout [Float]) -> [NextToken] {
        fullDistributionDraw(states, samplers: &samplers, alternatives: alternatives, scratch: &scratch)
    }

    /// `drawNext` over the full distribution (the reference the faster paths are tested against).
    package func fullDistributionDraw(
        _ states: [State], samplers: inout [Sampler], alternatives: [Int], scratch: inout [Float]
    ) -> [NextToken] {
        precondition(states.count == samplers.count && states.count == alternatives.count)
        let v = vocabulary.count
        if scratch.count < v * states.count { scratch = [Float](repeating: 0, count: v * states.count) }
        scratch.withUnsafeMutableBufferPointer { buffer in
            nextTokenLogProbs(states, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<(v * states.count)]))
        }
        return scratch.withUnsafeBufferPointer { all in
            states.indices.map { row in
                let probs = UnsafeBufferPointer(rebasing: all[(row * v)..<((row + 1) * v)])
                let id = samplers[row].sample(probs)
                return NextToken(id: id, logProb: probs[Int(id)], alternatives: topAlternatives(probs, k: alternatives[row]))
            }
        }
    }
}
