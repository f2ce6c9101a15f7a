import LMCore
import Logging

/// ARPA text, plain or gzip-compressed (told apart by content, not by name).
///
/// The catch-all: it claims every file, so the ARPA reader's errors (line and order at fault)
/// explain what is wrong with a file no other format recognised. Register it last.
package struct ARPAFormat: ModelFormat {
    package init() {}

    package var name: String { "arpa" }

    package func recognizes(path: String, header: [UInt8]) -> Bool { true }

    package func load(path: String, logger: Logger) throws -> any LanguageModel {
        try NGramModel.loadARPA(path: path, logger: logger)
    }
}
