import Foundation
import LMCore

/// Lines of text as token ids, under the reference convention (`reference/pytorch/README.md`).
///
/// Tokens are whitespace-split, blank lines are skipped. The vocabulary is `</s>` (id 0, also
/// the start token), `<unk>` (id 1), then every training word seen at least `minCount` times,
/// by descending count then by the word (code-point order, as Python sorts).
package struct TrainingCorpus: Sendable {
    /// Each non-blank line's words as ids (unknown words → `<unk>`), without `</s>`.
    package let lines: [[TokenID]]
    /// Total predictions a pass makes: words plus one `</s>` per line.
    package var predictionCount: Int { lines.reduce(0) { $0 + $1.count + 1 } }

    package init(lines: [[TokenID]]) { self.lines = lines }

    /// Encodes the non-blank lines of `text` with `vocabulary`.
    package init(text: String, vocabulary: Vocabulary) {
        lines = Self.tokenizedLines(text).map { $0.map { vocabulary.idOrUnknown($0) } }
    }

    /// The whitespace tokens of every non-blank line of `text`.
    package static func tokenizedLines(_ text: String) -> [[Substring]] {
        Tokenizer.lines(Substring(text)).compactMap { line in
            let words = Tokenizer.whitespace.tokenize(line)
            return words.isEmpty ? nil : words
        }
    }

    /// Builds the vocabulary from training lines: `</s>`, `<unk>`, then words with count ≥ `minCount`.
    package static func buildVocabulary(_ lines: [[Substring]], minCount: Int) -> Vocabulary {
        var counts: [Substring: Int] = [:]
        for line in lines {
            for word in line { counts[word, default: 0] += 1 }
        }
        let kept = counts.filter { $0.value >= minCount && $0.key != "</s>" && $0.key != "<unk>" }
            .sorted { a, b in
                a.value != b.value ? a.value > b.value : a.key.unicodeScalars.lexicographicallyPrecedes(b.key.unicodeScalars)
            }
        let words = ["</s>", "<unk>"] + kept.map { String($0.key) }
        return Vocabulary(words: words, unknown: 1, endOfSentence: 0, beginOfSentence: nil)
    }

    /// Reads a UTF-8 text file, failing clearly when it is missing or holds no non-blank line.
    /// - Throws: `LSTMTrainingError.unreadableFile` or `.emptyFile`.
    package static func readText(_ path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw LSTMTrainingError.unreadableFile(path: path, reason: reason)
        }
        let text = String(decoding: data, as: UTF8.self)
        if !text.contains(where: { !$0.isWhitespace }) { throw LSTMTrainingError.emptyFile(path: path) }
        return text
    }

    /// Length-bucketed batches of line indices for one epoch.
    ///
    /// Lines are shuffled, stably sorted by length and cut into batches of `batchSize`, so each
    /// batch holds lines of nearly equal length; then the batch order is shuffled.
    package func batches(batchSize: Int, generator: inout SeededGenerator) -> [[Int]] {
        var order = Array(lines.indices)
        order.shuffle(using: &generator)
        let lengths = lines.map(\.count)
        order = order.enumerated().sorted { a, b in
            let la = lengths[a.element], lb = lengths[b.element]
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
        var batches: [[Int]] = stride(from: 0, to: order.count, by: batchSize).map {
            Array(order[$0..<min($0 + batchSize, order.count)])
        }
        batches.shuffle(using: &generator)
        return batches
    }

    /// Batches in file order, sorted by length (for evaluation; deterministic).
    package func evaluationBatches(batchSize: Int) -> [[Int]] {
        let order = lines.indices.sorted { lines[$0].count != lines[$1].count ? lines[$0].count < lines[$1].count : $0 < $1 }
        return stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min($0 + batchSize, order.count)]) }
    }
}
