import LMCore
import Logging

/// KenLM's `build_binary` files, memory-mapped and searched in place; one registration per
/// data structure, told apart by the model type in the header.
///
/// `trie` also claims every other file that starts with KenLM's magic (another version, an
/// unknown type, an unfinished file), so the KenLM reader explains what is wrong with it.
package struct KenLMFormat: ModelFormat {
    package enum Structure: Sendable { case probing, trie }

    package let structure: Structure

    package init(_ structure: Structure) { self.structure = structure }

    package var name: String { structure == .probing ? "kenlm-probing" : "kenlm-trie" }

    package func recognizes(path: String, header: [UInt8]) -> Bool {
        guard header.starts(with: KenLMHeader.magicPrefix) else { return false }
        let probing = header.withUnsafeBytes { KenLMHeader.storesProbing($0) }
        return (structure == .probing) == probing
    }

    package func load(path: String, logger: Logger) throws -> any LanguageModel {
        try KenLMBinary.load(path: path)
    }
}
