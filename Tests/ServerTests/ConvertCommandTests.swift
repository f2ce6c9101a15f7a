import Foundation
import Testing

/// `lmserve convert` and `lmserve ppl` through the real executable: every N-gram format goes to
/// every other, and `ppl` prints the same bytes for each.
@Suite struct ConvertCommandTests {
    /// ARPA → .lmb → ARPA (gzip) → ARPA, and a KenLM trie → ARPA: `ppl` prints every word's
    /// score identically for each file.
    @Test func everyFormatConvertsAndScoresTheSame() throws {
        let dir = TempDir()
        let text = Shared.path("corpora/kjv/test.txt")
        let arpa = Shared.path("reference/kenlm/edge.arpa")
        let chain = [arpa, dir.path("a.lmb"), dir.path("b.arpa.gz"), dir.path("c.arpa")]
        for (from, to) in zip(chain, chain.dropFirst()) {
            let r = try ProcessTests.runCapturingOutput(["convert", from, to])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("wrote \(to)"), "\(r.stderr)")
        }
        let reference = try ProcessTests.runCapturingOutput(["ppl", "--model", arpa, "--input", text])
        #expect(reference.status == 0 && reference.stdout.contains("Perplexity including OOVs:"))
        for file in chain.dropFirst() {
            let r = try ProcessTests.runCapturingOutput(["ppl", "--model", file, "--input", text])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == reference.stdout, "\(file) scores differently")
        }

        let trie = Shared.path("reference/kenlm-binary/kjv3.trie.binary")
        let dumped = dir.path("kjv3.arpa.gz")
        #expect(try ProcessTests.runCapturingOutput(["convert", trie, dumped]).status == 0)
        let a = try ProcessTests.runCapturingOutput(["ppl", "--model", trie, "--input", text])
        let b = try ProcessTests.runCapturingOutput(["ppl", "--model", dumped, "--input", text])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
    }

    /// What cannot be converted fails with one line naming the problem, and writes nothing.
    @Test func badConversionsFailWithAMessage() throws {
        let dir = TempDir()
        let lstm = try ProcessTests.runCapturingOutput(["convert", Shared.path("reference/pytorch/kjv-lstm-2x512.safetensors"), dir.path("x.arpa")])
        #expect(lstm.status == 1)
        #expect(lstm.stderr.contains("not an N-gram model"), "\(lstm.stderr)")
        let name = try ProcessTests.runCapturingOutput(["convert", Shared.path("reference/kenlm/edge.arpa"), dir.path("x.txt")])
        #expect(name.status != 0)
        #expect(name.stderr.contains("must end in .lmb, .arpa or .arpa.gz"), "\(name.stderr)")
        let missing = try ProcessTests.runCapturingOutput(["convert", dir.path("absent.arpa"), dir.path("y.arpa")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("absent.arpa"), "\(missing.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}
