/// Turns tokens back into text one at a time, with the state the `basic` rule needs.
///
/// Appending costs O(token) (for a subword model, one decode of the pieces so far), so a completion can be extended token by token after a long
/// prompt without re-joining the prompt each time. `Tokenizer.detokenize` is this, folded.
package struct Detokenizer: Sendable {
    package let tokenizer: Tokenizer
    private var isEmpty = true
    /// `basic`: an opening quote is open.
    private var quoteOpen = false
    /// `basic`: the next token attaches to the previous one (after `(`, `[` or an opening quote).
    private var glueNext = true
    /// `subword`: the pieces so far, and how much of their decoded text has been handed out.
    private var pieces: [String] = []
    private var decodedCount = 0

    package init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    /// The text `token` adds: itself, with a leading space when it does not attach left.
    package mutating func append<S: StringProtocol>(_ token: S) -> String {
        let t = String(token)
        defer { isEmpty = false }
        switch tokenizer {
        case .whitespace:
            return isEmpty ? t : " " + t
        case .subword(let codec):
            // The model's decoder on all pieces, minus what earlier pieces gave: a word-initial
            // `▁` becomes a space except at the very start, and byte pieces join into characters.
            // While the text ends in an incomplete byte sequence (U+FFFD) it is held back.
            pieces.append(t)
            let text = codec.decode(pieces)
            guard text.last != "\u{FFFD}" else { return "" }
            let added = String(text.dropFirst(decodedCount))
            decodedCount = text.count
            return added
        case .basic:
            let attachesLeft: Bool
            switch t {
            case ".", ",", ";", ":", "!", "?", ")", "]", "'s": attachesLeft = true
            case "\"": attachesLeft = quoteOpen
            default: attachesLeft = false
            }
            let piece = (glueNext || attachesLeft) ? t : " " + t
            switch t {
            case "(", "[": glueNext = true
            case "\"":
                glueNext = !quoteOpen
                quoteOpen.toggle()
            default: glueNext = false
            }
            return piece
        }
    }
}
