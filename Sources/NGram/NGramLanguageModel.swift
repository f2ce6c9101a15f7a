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

    package func advance(_ states: inout [NGramState], by tokens: [TokenID]) {
        precondition(states.count == tokens.count, "one token per state")
        for i in states.indices { _ = score(tokens[i], after: &states[i]) }
    }
}
