import Testing
@testable import LMCore

@Suite struct TokenizerTests {
    @Test func whitespaceSplitsOnKenLMSpacesOnly() {
        let line: Substring = "  a\tb\u{0B}c\u{0C}d\re  f\u{A0}g "
        #expect(Tokenizer.whitespace.tokenize(line) == ["a", "b", "c", "d", "e", "f\u{A0}g"])
        #expect(Tokenizer.whitespace.tokenize("") == [])
        #expect(Tokenizer.whitespace.tokenize(" \t ") == [])
    }

    @Test func basicMatchesTheReadmeExample() {
        let raw: Substring = "And God said, Let there be light: and there was light."
        #expect(
            Tokenizer.basic.tokenize(raw).joined(separator: " ")
                == "and god said , let there be light : and there was light .")
        #expect(Tokenizer.basic.tokenize("Pharaoh's house; the LORD's (it's) \"so\"")
            == ["pharaoh", "'s", "house", ";", "the", "lord", "'s", "(", "it", "'s", ")", "\"", "so", "\""])
        #expect(Tokenizer.basic.tokenize("'sake and 'st o'sa") == ["'sake", "and", "'st", "o'sa"])
    }

    /// The tokenized corpus files are `basic` applied to the raw ones, line by line.
    @Test(arguments: ["test", "valid", "train"])
    func basicReproducesTheCorpus(split: String) throws {
        let raw = try SharedData.lines("corpora/kjv/\(split).raw.txt")
        let tokenized = try SharedData.lines("corpora/kjv/\(split).txt")
        #expect(raw.count == tokenized.count)
        var mismatches = 0
        for (r, t) in zip(raw, tokenized) where Tokenizer.basic.tokenize(r).joined(separator: " ") != t {
            mismatches += 1
            if mismatches < 5 { Issue.record("basic(\(r)) != \(t)") }
        }
        #expect(mismatches == 0)
    }

    @Test func linesKeepALastLineWithoutNewline() {
        #expect(Tokenizer.lines("a b\nc") == ["a b", "c"])
        #expect(Tokenizer.lines("a b\n") == ["a b"])
        #expect(Tokenizer.lines("a\n\nb\n") == ["a", "", "b"])
        #expect(Tokenizer.lines("") == [])
        #expect(Tokenizer.lines("a\r\nb c\r\n") == ["a\r", "b c\r"])
        #expect(Tokenizer.whitespace.tokenize(Tokenizer.lines("a\r\nb")[0]) == ["a"])
    }

    @Test func basicDetokenizeUndoesPadding() {
        let tokens: [Substring] = ["and", "god", "said", ",", "let", "pharaoh", "'s", "(", "light", ")", "."]
        #expect(Tokenizer.basic.detokenize(tokens) == "and god said, let pharaoh's (light).")
        #expect(Tokenizer.basic.detokenize(["he", "said", "\"", "go", "\"", "."] as [Substring]) == "he said \"go\".")
        #expect(Tokenizer.whitespace.detokenize(["a", ","] as [Substring]) == "a ,")
    }
}
