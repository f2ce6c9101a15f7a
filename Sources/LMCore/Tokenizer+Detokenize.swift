extension Tokenizer {
    /// Joins generated tokens into readable text.
    ///
    /// `whitespace` joins with single spaces. `basic` undoes the padding where it can: no space
    /// before `. , ; : ! ? ) ]` or `'s`, none after `( [`, and straight quotes alternate between
    /// opening (space before) and closing (space after). Case is not restored.
    package func detokenize<S: Sequence>(_ tokens: S) -> String where S.Element: StringProtocol {
        var detokenizer = Detokenizer(tokenizer: self)
        var out = ""
        for token in tokens { out += detokenizer.append(token) }
        return out
    }
}
