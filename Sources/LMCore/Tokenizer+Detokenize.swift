extension Tokenizer {
    /// Joins generated tokens into readable text.
    ///
    /// `whitespace` joins with single spaces. `basic` undoes the padding where it can: no space
    /// before `. , ; : ! ? ) ]` or `'s`, none after `( [`, and straight quotes alternate between
    /// opening (space before) and closing (space after). Case is not restored.
    package func detokenize<S: Sequence>(_ tokens: S) -> String where S.Element: StringProtocol {
        switch self {
        case .whitespace:
            return tokens.map { String($0) }.joined(separator: " ")
        case .basic:
            var out = ""
            var quoteOpen = false
            var glueNext = true
            for token in tokens {
                let t = String(token)
                let attachesLeft: Bool
                switch t {
                case ".", ",", ";", ":", "!", "?", ")", "]", "'s": attachesLeft = true
                case "\"": attachesLeft = quoteOpen
                default: attachesLeft = false
                }
                if !(glueNext || attachesLeft) { out.append(" ") }
                out.append(t)
                switch t {
                case "(", "[": glueNext = true
                case "\"":
                    glueNext = !quoteOpen
                    quoteOpen.toggle()
                default: glueNext = false
                }
            }
            return out
        }
    }
}
