/// Turns tokens back into text one at a time, with the state the `basic` rule needs.
///
/// Appending costs O(token), so a completion can be extended token by token after a long
/// prompt without re-joining the prompt each time. `Tokenizer.detokenize` is this, folded.
package struct Detokenizer: Sendable {
    package let tokenizer: Tokenizer
    private var isEmpty = true
    /// `basic`: an opening quote is open.
    private var quoteOpen = false
    /// `basic`: the next token attaches to the previous one (after `(`, `[` or an opening quote).
    private var glueNext = true

    package init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    /// The text `token` adds: itself, with a leading space when it does not attach left.
    package mutating func append<S: StringProtocol>(_ token: S) -> String {
        let t = String(token)
        defer { isEmpty = false }
        switch tokenizer {
        case .whitespace:
            return isEmpty ? t : " " + t
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
