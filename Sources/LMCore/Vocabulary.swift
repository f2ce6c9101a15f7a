/// A model's vocabulary: token strings by id, and the ids of the special tokens.
///
/// N-gram models number words as KenLM does (`<unk>` = 0); LSTM models as their training did
/// (`</s>` = 0, `<unk>` = 1). Both expose the mapping through this type.
package struct Vocabulary: Sendable {
    /// Token strings; index = id.
    package let words: [String]
    private let index: [String: TokenID]
    /// The id unknown words map to.
    package let unknown: TokenID
    /// The id of the end-of-sentence token `</s>`.
    package let endOfSentence: TokenID
    /// The id of the start-of-sentence token `<s>`, where the model has one.
    package let beginOfSentence: TokenID?

    /// - Precondition: `unknown` and `endOfSentence` are valid ids.
    package init(words: [String], unknown: TokenID, endOfSentence: TokenID, beginOfSentence: TokenID?) {
        precondition(Int(unknown) < words.count && Int(endOfSentence) < words.count)
        self.words = words
        var index: [String: TokenID] = [:]
        index.reserveCapacity(words.count)
        for (i, w) in words.enumerated() where index[w] == nil { index[w] = TokenID(i) }
        self.index = index
        self.unknown = unknown
        self.endOfSentence = endOfSentence
        self.beginOfSentence = beginOfSentence
    }

    package var count: Int { words.count }

    /// The id of `word`, or nil when it is not in the vocabulary.
    package func id<S: StringProtocol>(of word: S) -> TokenID? { index[String(word)] }

    /// The id of `word`, or `unknown`.
    package func idOrUnknown<S: StringProtocol>(_ word: S) -> TokenID { index[String(word)] ?? unknown }

    package subscript(id: TokenID) -> String { words[Int(id)] }
}
