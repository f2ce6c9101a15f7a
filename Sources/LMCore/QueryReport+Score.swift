extension QueryReport {
    /// Scores every line of `text` with `model` (the generic path, for any `LanguageModel`),
    /// calling `drain` whenever at least `flushBytes` of output are pending.
    ///
    /// Lines split on the byte `\n` (a `\r` before it stays and the whitespace rule drops it);
    /// a last line without `\n` is scored in full.
    package mutating func score<M: LanguageModel>(
        text: Substring, model: M, tokenizer: Tokenizer, flushBytes: Int = 1 << 16,
        drain: (inout QueryReport) -> Void
    ) {
        for line in Self.lines(text) {
            let words = tokenizer.tokenize(line)
            let scores = model.score(sentence: words, sentenceContext: sentenceContext)
            addSentence(words: words, scores: scores)
            if output.count >= flushBytes { drain(&self) }
        }
    }

    /// `text` split on the byte `\n`, working on UTF-8 (a `Character` split would keep
    /// `\r\n`, one grapheme, together). No empty last line after a final `\n`.
    package static func lines(_ text: Substring) -> [Substring] {
        var lines: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        while let nl = utf8[start...].firstIndex(of: 0x0A) {
            lines.append(Substring(utf8[start..<nl]))
            start = utf8.index(after: nl)
        }
        if start != utf8.endIndex { lines.append(Substring(utf8[start...])) }
        return lines
    }
}

extension LanguageModel {
    package func query(
        text: UnsafeRawBufferPointer, tokenizer: Tokenizer, report: inout QueryReport, drain: (inout QueryReport) -> Void
    ) {
        report.score(text: Substring(String(decoding: text, as: UTF8.self)), model: self, tokenizer: tokenizer, drain: drain)
    }
}
