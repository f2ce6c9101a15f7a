import LMCore

/// Sentences to score, each a list of words.
package struct ScoringRequest: Sendable {
    package var sentences: [[Substring]]
    /// KenLM's sentence context: start in `<s>`, score `</s>` at the end.
    package var sentenceContext: Bool
    /// How long after submission the request fails with `BatchingError.timedOut` (nil: never).
    package var timeout: Duration?

    package init(sentences: [[Substring]], sentenceContext: Bool = true, timeout: Duration? = nil) {
        self.sentences = sentences
        self.sentenceContext = sentenceContext
        self.timeout = timeout
    }
}

/// Per-sentence token scores, in request order.
package struct ScoringResult: Sendable {
    package var sentences: [[TokenScore]]
    package var timing: JobTiming
}
