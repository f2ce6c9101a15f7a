/// Why training an N-gram model failed. Every case carries enough to fix the input.
package enum NGramTrainingError: Error, Equatable, CustomStringConvertible {
    case invalidOrder(Int)
    case emptyCorpus
    case sentenceMarkerInText(token: String, source: String, line: Int)
    case unreadableInput(path: String, reason: String)
    case unwritableOutput(path: String, reason: String)
    case invalidOption(String)
    /// The closed-form Kneser-Ney discounts of one order are undefined or out of range.
    case badDiscounts(order: Int, detail: String)
    case vocabularyTooLarge(words: Int, order: Int)
    case spillFailed(String)
    /// A write to a temporary file failed for lack of space (or a file size limit).
    case temporaryDirectoryFull(directory: String, detail: String)

    package var description: String {
        switch self {
        case .invalidOrder(let n):
            return "order must be between 1 and \(NGramTrainingOptions.maximumOrder), got \(n)"
        case .emptyCorpus:
            return "the training text is empty (no tokens)"
        case .sentenceMarkerInText(let token, let source, let line):
            return "\(source):\(line): the text contains \(token); <s> and </s> are added by training and must not appear in the text"
        case .unreadableInput(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unwritableOutput(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .invalidOption(let detail):
            return detail
        case .badDiscounts(let order, let detail):
            return "could not estimate Kneser-Ney discounts for \(order)-grams: \(detail); is this small or artificial data? Pass --discount-fallback to use fixed discounts for such orders"
        case .vocabularyTooLarge(let words, let order):
            return "\(words) word types do not fit \(order) words into a 128-bit n-gram key; use a lower order or --min-count"
        case .spillFailed(let detail):
            return "spilling counts to temporary files failed: \(detail)"
        case .temporaryDirectoryFull(let directory, let detail):
            return "the temporary directory \(directory) is full (\(detail)); free space there or pass --temp-dir with a larger folder"
        }
    }
}
