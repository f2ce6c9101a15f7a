import LMCore
import NGram

/// One fuzz input: a (mutated) KenLM binary must load or be refused with an error, never crash
/// or read out of bounds; what loads must score (word by word and through `ppl`'s path), give a next-word distribution and list its
/// n-grams without crashing.
enum KenLMFuzzCheck {
    static func check(_ bytes: UnsafeRawBufferPointer) {
        guard let model = try? KenLMBinary.load(bytes: bytes, name: "fuzz-input") else { return }
        let words = model.vocabulary.words
        // Known words, unknown words and out-of-range ids.
        let sentence = (words.prefix(12) + ["never-a-word"]).map { Substring($0) }
        _ = model.score(sentence: sentence, sentenceContext: true)
        // `ppl`'s byte-level path (word ids hashed from the bytes, prefetches of coming slots).
        let text = Array((sentence.joined(separator: " ") + "\n" + sentence.reversed().joined(separator: "\t") + "\n\n x").utf8)
        var report = QueryReport(verbosity: .word, sentenceContext: true)
        text.withUnsafeBytes { model.query(text: $0, tokenizer: .whitespace, report: &report) { _ = $0.takeOutput() } }
        var states = [model.initialState(sentenceContext: true), model.initialState(sentenceContext: false)]
        model.advance(&states, by: [TokenID(words.count / 2), TokenID.max])
        if words.count <= 1 << 16 {
            var row = [Float](repeating: 0, count: words.count * states.count)
            row.withUnsafeMutableBufferPointer { model.nextTokenLogProbs(states, into: $0) }
        }
        if words.count <= 4096, let exportable = model as? any ARPAExportable { _ = try? exportable.arpaEntries() }
    }
}
