#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import LMCore

/// A model whose n-grams can be listed, so `lmserve convert` can write it back as ARPA text.
package protocol ARPAExportable {
    var vocabulary: Vocabulary { get }
    /// The n-grams of each order (index order − 1), oldest word first, with log10 probability
    /// and, below the top order, log10 backoff.
    func arpaEntries() throws -> [[ARPAEntry]]
}

package struct ARPAEntry: Sendable {
    package var words: [WordID]
    package var prob: Float
    package var backoff: Float?
}

extension ARPAExportable {
    /// Writes the model as ARPA text at `path`, gzip-compressed when it ends in `.gz`. Values are
    /// written in their shortest exact form, so the text reads back to the same floats.
    package func writeARPA(to path: String) throws {
        let levels = try arpaEntries()
        // Written beside `path` and renamed into place: a failed write leaves no partial file.
        let temporary: (descriptor: Int32, path: String)
        do { temporary = try FileOutput.createTemporary(beside: path) } catch {
            throw ARPAExportError(path: path, reason: error.reason)
        }
        var out = ARPAByteSink()
        if path.hasSuffix(".gz") {
            guard let gz = gzdopen(temporary.descriptor, "wb5") else {
                close(temporary.descriptor)
                unlink(temporary.path)
                throw ARPAExportError(path: path, reason: "cannot start gzip output")
            }
            out.gz = gz
        } else {
            guard let f = fdopen(temporary.descriptor, "wb") else {
                close(temporary.descriptor)
                unlink(temporary.path)
                throw ARPAExportError(path: path, reason: String(cString: strerror(errno)))
            }
            out.file = f
        }
        func number(_ v: Float) { out.append(v.isFinite ? (v == 0 ? "0" : "\(v)") : "-99") }
        out.append("\\data\\\n")
        for (k, level) in levels.enumerated() { out.append("ngram \(k + 1)=\(level.count)\n") }
        var failed = false
        for (k, level) in levels.enumerated() where !failed {
            out.append("\n\\\(k + 1)-grams:\n")
            for e in level {
                number(e.prob)
                out.byte(0x09)
                for (j, w) in e.words.enumerated() {
                    if j > 0 { out.byte(0x20) }
                    out.append(vocabulary[w])
                }
                if let b = e.backoff {
                    out.byte(0x09)
                    number(b)
                }
                out.byte(0x0A)
                if !out.flushIfFull() {
                    failed = true
                    break
                }
            }
        }
        out.append("\n\\end\\\n")
        if !out.close() || failed {
            let reason = "write failed: \(String(cString: strerror(errno)))"
            unlink(temporary.path)
            throw ARPAExportError(path: path, reason: reason)
        }
        do { try FileOutput.moveIntoPlace(temporary.path, to: path) } catch { throw ARPAExportError(path: path, reason: error.description) }
    }
}

package struct ARPAExportError: Error, CustomStringConvertible {
    package var path: String
    package var reason: String
    package var description: String { "cannot write \(path): \(reason)" }
}

extension NGramModel: ARPAExportable {
    /// Every n-gram the tables hold, blanks for a pruned file's missing contexts included, so
    /// the text scores exactly as the model does.
    package func arpaEntries() throws -> [[ARPAEntry]] {
        var levels = [[ARPAEntry]](repeating: [], count: order)
        try search.forEachEntry(file: description.path) { words, prob, backoff in
            levels[words.count - 1].append(ARPAEntry(words: words, prob: prob, backoff: backoff))
        }
        return levels
    }
}

extension KenLMModel: ARPAExportable {
    /// Every n-gram the file stores, with the values `query` uses (a quantized file's bin
    /// centres). Blank entries KenLM added for pruned n-grams are written too, so the text
    /// scores exactly as the binary does.
    package func arpaEntries() throws -> [[ARPAEntry]] {
        var levels = [[ARPAEntry]](repeating: [], count: order)
        try search.forEachEntry(unigrams: lookup.bound, file: description.path) { words, prob, backoff in
            levels[words.count - 1].append(ARPAEntry(words: words, prob: prob, backoff: backoff))
        }
        return levels
    }
}
