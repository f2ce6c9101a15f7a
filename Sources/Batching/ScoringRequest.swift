import LMCore

/// Sentences to score, each a list of words.
package struct ScoringRequest: Sendable {
    package var sentences: [[Substring]]
    /// KenLM's sentence context: start in `<s>`, score `</s>` at the end.
    package var sentenceContext: Bool
    /// How long after submission the request fails with `BatchingError.timedOut` (nil: never).
    package var timeout: Duration?
    /// Who the request is for: fair admission shares the engine among tenants.
    package var tenant: String

    package init(sentences: [[Substring]], sentenceContext: Bool = true, timeout: Duration? = nil, tenant: String = "") {
        self.sentences = sentences
        self.sentenceContext = sentenceContext
        self.timeout = timeout
        self.tenant = tenant
    }
}

/// Per-sentence token scores, in request order.
package struct ScoringResult: Sendable {
    package var sentences: [[TokenScore]]
    /// For a mixture, `members[s][m][j]`: member m's own log10 score of token j of sentence s
    /// (`ModelDescription.members` order); empty for other models.
    package var members: [[[Float]]] = []
    package var timing: JobTiming

    package init(sentences: [[TokenScore]], members: [[[Float]]] = [], timing: JobTiming) {
        self.sentences = sentences
        self.members = members
        self.timing = timing
    }
}
