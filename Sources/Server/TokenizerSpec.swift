import Foundation
import LMCore
import SentencePiece

/// Tokenizers by name, as `--model …,tokenizer=T`, `ppl --tokenizer T` and the YAML `tokenizer`
/// key give them: `whitespace`, `basic`, or `sentencepiece:FILE.model` (loaded here).
package enum TokenizerSpec {
    package static let help = "whitespace, basic or sentencepiece:FILE.model"

    /// - Parameter base: the directory a relative SentencePiece path resolves against (the config
    ///   file's); nil = the working directory.
    /// - Throws: `TokenizerSpecError` for an unknown name, `SentencePieceError` naming the file.
    package static func load(_ spec: String, relativeTo base: String? = nil) throws -> Tokenizer {
        if let t = Tokenizer(rawValue: spec) { return t }
        let prefix = "sentencepiece:"
        guard spec.hasPrefix(prefix), spec.count > prefix.count else { throw TokenizerSpecError(spec: spec) }
        var path = String(spec.dropFirst(prefix.count))
        if let base, !path.hasPrefix("/") { path = URL(fileURLWithPath: base).appendingPathComponent(path).path }
        return .subword(try SentencePieceModel(path: path))
    }
}

package struct TokenizerSpecError: Error, CustomStringConvertible {
    package var spec: String
    package var description: String { "unknown tokenizer '\(spec)' (\(TokenizerSpec.help))" }
}
