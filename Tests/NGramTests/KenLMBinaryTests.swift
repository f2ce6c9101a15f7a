import Foundation
import LMCore
import Testing
@testable import NGram

/// KenLM binary files (`build_binary` output) read in place score as KenLM's `query` scores them:
/// every word's n-gram length and log10 probability on the first 300 test lines, every line's
/// total and OOV count, and the summary perplexities (golden data in
/// ../shared/reference/kenlm-binary).
@Suite struct KenLMBinaryTests {
    static let files = ["kjv3.probing", "kjv3.trie", "kjv3.trie-q8-b8-a22"]

    static func load(_ name: String) throws -> any NGramLanguageModel {
        try KenLMBinary.load(path: SharedData.path("reference/kenlm-binary/\(name).binary"))
    }

    @Test(arguments: files)
    func matchesKenLMQuery(name: String) throws {
        let model = try Self.load(name)
        // Ids may be numbered differently (the trie sorts its vocabulary); the word an id names must agree.
        try QueryReference.check(model, reference: "reference/kenlm-binary/\(name)", tolerance: 1e-6) { s, r in
            r.id == 0 ? s.isOOV : model.vocabulary[s.id] == String(r.word)
        }
    }

    @Test func describesFormatAndQuantization() throws {
        let probing = try Self.load("kjv3.probing").description
        #expect(probing.format == "kenlm-probing" && probing.parameter("order") == 3 && probing.parameter("probability_bits") == nil)
        let trie = try Self.load("kjv3.trie").description
        #expect(trie.format == "kenlm-trie" && trie.parameter("probability_bits") == nil)
        let quantized = try Self.load("kjv3.trie-q8-b8-a22").description
        #expect(quantized.format == "kenlm-trie" && quantized.parameter("probability_bits") == 8 && quantized.parameter("backoff_bits") == 8)
        #expect(probing.vocabularySize == trie.vocabularySize)
    }
}
