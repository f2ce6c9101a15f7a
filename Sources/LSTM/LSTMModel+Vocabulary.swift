import Foundation
import LMCore

extension LSTMModel {
    /// The model's vocabulary: `__metadata__["vocab"]` (a JSON list, index = id), else a sidecar
    /// `<name>.vocab.txt` or `vocab.txt` next to the model (one word per line, line - 1 = id).
    ///
    /// Special ids come from `__metadata__` `eos_id`, `unk_id` and `bos_id` when present, else
    /// the positions of `</s>` and `<unk>`, else 0 and 1 (the training convention). `</s>`
    /// doubles as the start token, so `beginOfSentence` is nil unless `bos_id` names another id.
    /// - Throws: `LSTMLoadError`.
    static func loadVocabulary(reader: SafetensorsReader, rows: Int) throws -> Vocabulary {
        let (words, source) = try vocabularyWords(reader: reader)
        guard words.count == rows else {
            throw LSTMLoadError.vocabularySizeMismatch(source: source, words: words.count, embeddingRows: rows)
        }
        func specialID(_ key: String, word: String, fallback: Int) throws -> TokenID {
            if let text = reader.metadata[key] {
                guard let id = Int(text.trimmingCharacters(in: .whitespaces)), id >= 0, id < rows else {
                    throw LSTMLoadError.badSpecialToken(key: key, value: text)
                }
                return TokenID(id)
            }
            if let id = words.firstIndex(of: word) { return TokenID(id) }
            guard fallback < rows else { throw LSTMLoadError.badSpecialToken(key: key, value: "(default \(fallback))") }
            return TokenID(fallback)
        }
        let eos = try specialID("eos_id", word: "</s>", fallback: 0)
        let unk = try specialID("unk_id", word: "<unk>", fallback: min(1, rows - 1))
        let bos = try specialID("bos_id", word: "</s>", fallback: Int(eos))
        return Vocabulary(words: words, unknown: unk, endOfSentence: eos, beginOfSentence: bos == eos ? nil : bos)
    }

    private static func vocabularyWords(reader: SafetensorsReader) throws -> ([String], String) {
        if let json = reader.metadata["vocab"] {
            let source = "__metadata__[vocab]"
            guard let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] else {
                throw LSTMLoadError.badVocabulary(source: source, problem: "not a JSON list")
            }
            var words: [String] = []
            words.reserveCapacity(list.count)
            for item in list {
                guard let w = item as? String else {
                    throw LSTMLoadError.badVocabulary(source: source, problem: "entry \(words.count) is not a string")
                }
                words.append(w)
            }
            return (words, source)
        }
        let url = URL(fileURLWithPath: reader.path)
        let directory = url.deletingLastPathComponent()
        let stem = url.deletingPathExtension().lastPathComponent
        let candidates = [directory.appendingPathComponent("\(stem).vocab.txt").path,
                          directory.appendingPathComponent("vocab.txt").path]
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw LSTMLoadError.badVocabulary(source: path, problem: "unreadable or not UTF-8")
            }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
            }
            if lines.last == "" { lines.removeLast() }
            return (lines, path)
        }
        throw LSTMLoadError.missingVocabulary(searched: candidates)
    }
}
