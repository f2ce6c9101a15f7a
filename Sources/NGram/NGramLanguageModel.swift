import LMCore

/// What every N-gram model offers beyond `LanguageModel`: word ids, single-word scoring with
/// KenLM's state, and the sentence markers. ARPA/.lmb models and KenLM binaries conform, so
/// `ppl`, `convert` and the server treat them alike.
package protocol NGramLanguageModel: LanguageModel where State == NGramState {
    var order: Int { get }
    var beginSentence: WordID { get }
    var endSentence: WordID { get }
    /// The id of `word` (`<unk>` = 0 when absent).
    func wordID<S: StringProtocol>(_ word: S) -> WordID
    /// Scores `word` after `state` and advances `state` (KenLM's `FullScore`).
    func score(_ word: WordID, after state: inout NGramState) -> TokenScore
}

extension NGramModel: NGramLanguageModel {}

extension NGramLanguageModel {
    /// Scores one sentence word by word, KenLM's way.
    package func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore] {
        var state = initialState(sentenceContext: sentenceContext)
        var scores: [TokenScore] = []
        scores.reserveCapacity(words.count + 1)
        for w in words { scores.append(score(wordID(w), after: &state)) }
        if sentenceContext { scores.append(score(endSentence, after: &state)) }
        return scores
    }

    /// KenLM's `FullScore` token by token (no next-token rows): the log10 probabilities
    /// `score(sentence:sentenceContext:)` gives, so stepwise scoring (an ensemble's) matches it.
    package func scoreChunksLog10(_ states: inout [NGramState], tokens: [ArraySlice<TokenID>]) -> ChunkScores {
        precondition(states.count == tokens.count, "one chunk per state")
        return ChunkScores(log10Probs: states.indices.map { i in tokens[i].map { score($0, after: &states[i]).log10Prob } })
    }

    package func scoreChunks(_ states: inout [NGramState], tokens: [ArraySlice<TokenID>]) -> [[Float]] {
        let ln10 = LogBase.ln10Float
        return scoreChunksLog10(&states, tokens: tokens).log10Probs.map { $0.map { $0 * ln10 } }
    }

    package func advance(_ states: inout [NGramState], by tokens: [TokenID]) {
        precondition(states.count == tokens.count, "one token per state")
        for i in states.indices { _ = score(tokens[i], after: &states[i]) }
    }
}
