import LMCore

extension HashedSearch: ByteQuerySearch {}

extension NGramModel {
    /// Scores raw text the way KenLM's `query` reads it (`ByteQuerySearch.query`).
    package func query(
        text: UnsafeRawBufferPointer, report: inout QueryReport, flushBytes: Int = 1 << 16,
        drain: (inout QueryReport) -> Void
    ) {
        query(text: text, through: search, tokenizer: .whitespace, report: &report, flushBytes: flushBytes, drain: drain)
    }

    /// `lmserve ppl`'s path: the byte-level `query` for the whitespace tokenizer, the generic
    /// line-by-line scoring for any other.
    package func query(
        text: UnsafeRawBufferPointer, tokenizer: Tokenizer, report: inout QueryReport, drain: (inout QueryReport) -> Void
    ) {
        query(text: text, through: search, tokenizer: tokenizer, report: &report, drain: drain)
    }
}
