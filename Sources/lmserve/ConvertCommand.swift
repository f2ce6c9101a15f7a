import ArgumentParser
import Foundation
import LMCore
import Logging
import NGram
import Server

/// `lmserve convert`: turn an ARPA model into the `.lmb` binary format that loads by mmap.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an ARPA model (plain or gzip) to the .lmb binary format.")

    @Argument(help: "The ARPA model to read.")
    var arpa: String

    @Argument(help: "The .lmb file to write.")
    var output: String

    func run() throws {
        let logger = Logger(label: "lmserve.convert")
        do {
            let start = ContinuousClock.now
            guard let model = try ModelFormatRegistry.standard.load(path: arpa, logger: logger) as? NGramModel else {
                CommandOutput.fail("\(arpa) is not an N-gram model: convert reads N-gram models only")
            }
            try model.writeBinary(to: output)
            let elapsed = ContinuousClock.now - start
            let counts = model.storedCounts.map(String.init).joined(separator: " ")
            FileHandle.standardError.write(Data("lmserve: wrote \(output) (order \(model.order), entries per order \(counts)) in \(elapsed)\n".utf8))
        } catch {
            CommandOutput.fail("\(error)")
        }
    }
}
