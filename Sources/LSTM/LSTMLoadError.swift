/// What went wrong assembling an LSTM model beyond its tensors (vocabulary, special tokens).
package enum LSTMLoadError: Error, Equatable, CustomStringConvertible {
    /// No `__metadata__["vocab"]` and no sidecar vocabulary file; `searched` lists the paths tried.
    case missingVocabulary(searched: [String])
    /// The vocabulary could not be read or parsed.
    case badVocabulary(source: String, problem: String)
    /// The vocabulary's size differs from the embedding's row count.
    case vocabularySizeMismatch(source: String, words: Int, embeddingRows: Int)
    /// A special-token id in `__metadata__` is not a valid id.
    case badSpecialToken(key: String, value: String)

    package var description: String {
        switch self {
        case let .missingVocabulary(searched):
            return "no vocabulary: __metadata__ has no \"vocab\" and none of \(searched.joined(separator: ", ")) exists"
        case let .badVocabulary(source, problem): return "bad vocabulary in \(source): \(problem)"
        case let .vocabularySizeMismatch(source, words, rows):
            return "vocabulary in \(source) has \(words) words but embedding.weight has \(rows) rows"
        case let .badSpecialToken(key, value): return "__metadata__[\(key)] = \(value) is not a valid token id"
        }
    }
}
