extension QueryReport {
    /// Scores every line of `text` with `model` (the generic path, for any `LanguageModel`),
    /// calling `drain` whenever at least `flushBytes` of output are pending.
    ///
    /// Lines split on `\n`; a last line without one is scored in full.
    package mutating func score<M: LanguageModel>(
        text: Substring, model: M, tokenizer: Tokenizer, flushBytes: Int = 1 << 16,
        drain: (inout QueryReport) -> Void
    ) {
        for line in Tokenizer.lines(text) {
            let words = tokenizer.tokenize(line)
            let scores = model.score(sentence: words, sentenceContext: sentenceContext)
            addSentence(words: words, scores: scores)
            if output.count >= flushBytes { drain(&self) }
        }
    }
}
