/// The history an N-gram model needs to score the next word; fixed size, owned by the caller.
///
/// `words[0..<length]` are the most recent words, most recent first; `backoffs[k]` is the log10
/// backoff of the context made of `words[0...k]`. `length` never exceeds the model order − 1
/// (at most 7). Like KenLM's `State`, only n-grams that some longer n-gram extends stay in it.
package struct NGramState: Sendable {
    /// The largest order a model may have.
    package static let maxOrder = 8

    package var words: InlineArray<7, WordID>
    package var backoffs: InlineArray<7, Float>
    package var length: UInt8

    /// The empty context.
    package init() {
        words = InlineArray(repeating: 0)
        backoffs = InlineArray(repeating: 0)
        length = 0
    }

    /// The context words, most recent first.
    package var context: [WordID] { (0..<Int(length)).map { words[$0] } }
}

extension NGramState: Equatable, Hashable {
    /// Two states are equal when they hold the same context words (backoffs follow from them).
    package static func == (a: NGramState, b: NGramState) -> Bool {
        guard a.length == b.length else { return false }
        for i in 0..<Int(a.length) where a.words[i] != b.words[i] { return false }
        return true
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(length)
        for i in 0..<Int(length) { hasher.combine(words[i]) }
    }
}
