import LMCore
import Logging

/// The `.lmb` binary image written by `lmserve convert`, recognised by its magic bytes and
/// memory-mapped as it is.
package struct LMBFormat: ModelFormat {
    package init() {}

    package var name: String { "lmb" }

    package func recognizes(path: String, header: [UInt8]) -> Bool { header.starts(with: LMBLayout.magic) }

    package func load(path: String, logger: Logger) throws -> any LanguageModel {
        try NGramModel.loadBinary(path: path)
    }
}
