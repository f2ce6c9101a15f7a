import LMCore

/// Builds one completion's text token by token, applying stop sequences.
///
/// The text of the first k tokens is `detokenize(prompt + tokens) - detokenize(prompt)`, so the
/// streamed pieces always add up to the non-streamed text. Text that might be the start of a
/// stop sequence is held back until it is known not to be one.
struct ChoiceText {
    let stops: [String]
    private var detokenizer: Detokenizer
    /// The completion so far (after any stop truncation).
    private(set) var text = ""
    /// Characters of `text` already handed out.
    private var emitted = 0
    private(set) var stopped = false

    init(tokenizer: Tokenizer, prompt: [String], stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
        detokenizer = Detokenizer(tokenizer: tokenizer)
        for word in prompt { _ = detokenizer.append(word) }
    }

    /// Appends a token; returns the text that may be sent now, and where in the full completion
    /// text the token begins (for `text_offset`), or nil when a stop sequence cut it off.
    mutating func append(_ token: String) -> (piece: String, offset: Int?) {
        precondition(!stopped)
        let added = detokenizer.append(token)
        var offset: Int? = text.count + (added.first == " " ? 1 : 0)
        text += added
        if let cut = earliestStop() {
            text = String(text[..<cut])
            stopped = true
            if let o = offset, o >= text.count { offset = nil }
            return (takeRest(), offset)
        }
        let holdBack = longestPartialStop()
        let safe = text.count - holdBack
        guard safe > emitted else { return ("", offset) }
        let piece = String(text.dropFirst(emitted).prefix(safe - emitted))
        emitted = safe
        return (piece, offset)
    }
    /// Whatever is still held back, at the end of generation.
    mutating func finish() -> String { takeRest() }

    private mutating func takeRest() -> String {
        let rest = String(text.dropFirst(emitted))
        emitted = text.count
        return rest
    }

    private func earliestStop() -> String.Index? {
        stops.compactMap { text.range(of: $0)?.lowerBound }.min()
    }

    /// Length of the longest suffix of `text` that is a proper prefix of a stop sequence.
    private func longestPartialStop() -> Int {
        var best = 0
        for stop in stops {
            var n = min(stop.count - 1, text.count)
            while n > best {
                if text.hasSuffix(stop.prefix(n)) {
                    best = n
                    break
                }
                n -= 1
            }
        }
        return best
    }
}
