/// A subword model that turns text into pieces and back (SentencePiece; the library lives in
/// its own module, so LMCore names only this face of it).
package protocol SubwordCodec: Sendable {
    /// The tokenizer's name as configured: `sentencepiece`.
    var kind: String { get }
    /// The model file, and its size in bytes.
    var file: String { get }
    var fileSize: Int { get }
    /// Pieces in the model's vocabulary.
    var pieceCount: Int { get }
    /// The pieces of one line.
    func encode(_ text: Substring) -> [String]
    /// The text of `pieces` (the model's decoder: `▁` becomes a space, byte pieces become bytes).
    func decode(_ pieces: [String]) -> String
}

/// How a line of text becomes tokens.
///
/// - `whitespace`: KenLM's rule. Split on space, `\t`, `\v`, `\f` and `\r`; nothing else changes.
/// - `basic`: the KJV corpus rule (`corpora/kjv/README.md`): lowercase, pad `. , ; : ! ? ( ) [ ] "`
///   with spaces, split a word-final `'s` off as its own token, then split on whitespace.
/// - `subword`: a subword model's pieces (`sentencepiece:FILE.model`).
package enum Tokenizer: Sendable, Equatable, Codable, CustomStringConvertible {
    case whitespace
    case basic
    case subword(any SubwordCodec)

    /// `whitespace` or `basic` by name (a subword model is loaded by the server, from its file).
    package init?(rawValue: String) {
        switch rawValue {
        case "whitespace": self = .whitespace
        case "basic": self = .basic
        default: return nil
        }
    }

    /// `whitespace`, `basic`, or the subword model's kind (`sentencepiece`).
    package var rawValue: String {
        switch self {
        case .whitespace: return "whitespace"
        case .basic: return "basic"
        case .subword(let codec): return codec.kind
        }
    }

    package var description: String {
        if case .subword(let codec) = self { return "\(codec.kind):\(codec.file)" }
        return rawValue
    }

    package static func == (a: Tokenizer, b: Tokenizer) -> Bool {
        switch (a, b) {
        case (.whitespace, .whitespace), (.basic, .basic): return true
        case (.subword(let x), .subword(let y)): return x.kind == y.kind && x.file == y.file
        default: return false
        }
    }

    /// Requests name `whitespace` or `basic`; a subword model is configured per model.
    package init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let t = Tokenizer(rawValue: name) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "unknown tokenizer '\(name)' (whitespace or basic)"))
        }
        self = t
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    /// Splits one line (no newline inside) into tokens.
    package func tokenize(_ line: Substring) -> [Substring] {
        switch self {
        case .whitespace: return Self.splitWhitespace(line)
        case .subword(let codec): return codec.encode(line).map { Substring($0) }
        case .basic:
            // Python's `str.split()` splits on Unicode white space; so do we after normalising.
            return Substring(Self.basicNormalize(line)).split(whereSeparator: { $0.isWhitespace })
        }
    }

    /// Splits `text` into lines on `\n` bytes (a `\r` before it stays with the line, and the
    /// whitespace rule drops it). A last line without a newline is a line; an empty text has none.
    package static func lines(_ text: Substring) -> [Substring] {
        var lines: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var i = start
        while i != utf8.endIndex {
            if utf8[i] == 0x0A {
                lines.append(Substring(utf8[start..<i]))
                start = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        if start != utf8.endIndex { lines.append(Substring(utf8[start..<utf8.endIndex])) }
        return lines
    }

    /// KenLM's whitespace: space, tab, vertical tab, form feed, carriage return (and newline).
    @inline(__always)
    package static func isKenLMSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0B || byte == 0x0C || byte == 0x0D || byte == 0x0A
    }

    static func splitWhitespace(_ line: Substring) -> [Substring] {
        var tokens: [Substring] = []
        let utf8 = line.utf8
        var start: Substring.UTF8View.Index? = nil
        var i = utf8.startIndex
        while i != utf8.endIndex {
            if isKenLMSpace(utf8[i]) {
                if let s = start {
                    tokens.append(line[s..<i])
                    start = nil
                }
            } else if start == nil {
                start = i
            }
            i = utf8.index(after: i)
        }
        if let s = start { tokens.append(line[s..<utf8.endIndex]) }
        return tokens
    }

    /// The characters the `basic` rule pads with spaces.
    static let paddedPunctuation: Set<Character> = [".", ",", ";", ":", "!", "?", "(", ")", "[", "]", "\""]

    /// Steps 1–3 of the `basic` rule; the caller splits the result on whitespace.
    static func basicNormalize(_ line: Substring) -> String {
        let lowered = Array(line.lowercased())
        var out = String()
        out.reserveCapacity(lowered.count + 16)
        var i = 0
        while i < lowered.count {
            let ch = lowered[i]
            if paddedPunctuation.contains(ch) {
                out.append(" ")
                out.append(ch)
                out.append(" ")
            } else if ch == "'", i + 1 < lowered.count, lowered[i + 1] == "s",
                i + 2 == lowered.count || !isWordCharacter(lowered[i + 2])
            {
                out.append(" 's")
                i += 2
                continue
            } else {
                out.append(ch)
            }
            i += 1
        }
        return out
    }

    /// A regular-expression word character (`\w`): letters, digits, marks and the underscore.
    static func isWordCharacter(_ ch: Character) -> Bool {
        ch == "_" || ch.isLetter || ch.isNumber
            || ch.unicodeScalars.contains { $0.properties.generalCategory == .nonspacingMark }
    }
}
