import ArgumentParser
import Foundation
import LMCore
import Logging
import NGram
import Server

/// `lmserve convert`: rewrite an N-gram model in another format.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an N-gram model (ARPA plain or gzip, .lmb, or a KenLM binary) to .lmb or ARPA.",
        discussion: """
            The output's format follows its name: .lmb (lmserve's mmap binary), .arpa, or .arpa.gz. \
            Written as ARPA, a model holds every n-gram it stores with the values it scores with \
            (a quantized KenLM file's bin centres; the blank entries KenLM and lmserve add for a \
            pruned file's missing contexts), so the text scores exactly as the input does. The \
            output is written beside its name and renamed into place.
            """)

    @Argument(help: "The model to read: ARPA (plain or gzip), .lmb, or a KenLM binary.")
    var input: String

    @Argument(help: "The file to write: NAME.lmb, NAME.arpa or NAME.arpa.gz.")
    var output: String

    func validate() throws {
        guard output.hasSuffix(".lmb") || output.hasSuffix(".arpa") || output.hasSuffix(".arpa.gz") else {
            throw ValidationError("the output's name must end in .lmb, .arpa or .arpa.gz (got '\(output)')")
        }
    }

    func run() throws {
        let logger = Logger(label: "lmserve.convert")
        let start = ContinuousClock.now
        do {
            let model = try ModelFormatRegistry.standard.load(path: input, logger: logger)
            if output.hasSuffix(".lmb") {
                try writeBinary(model, logger: logger)
            } else {
                guard let exportable = model as? any ARPAExportable else {
                    CommandOutput.fail("\(input) is not an N-gram model: convert reads N-gram models only")
                }
                try exportable.writeARPA(to: output)
            }
        } catch {
            CommandOutput.fail("\(error)")
        }
        FileHandle.standardError.write(Data("lmserve: wrote \(output) in \(ContinuousClock.now - start)\n".utf8))
    }

    /// `.lmb` is built from an ARPA/`.lmb` model directly, from a KenLM binary through its ARPA
    /// text (a temporary file beside the output).
    private func writeBinary(_ model: any LanguageModel, logger: Logger) throws {
        if let ngram = model as? NGramModel {
            try ngram.writeBinary(to: output)
            return
        }
        guard let exportable = model as? any ARPAExportable else {
            CommandOutput.fail("\(input) is not an N-gram model: convert reads N-gram models only")
        }
        let temp = output + ".tmp-\(getpid()).arpa"
        defer { try? FileManager.default.removeItem(atPath: temp) }
        try exportable.writeARPA(to: temp)
        try NGramModel.loadARPA(path: temp, logger: logger).writeBinary(to: output)
    }
}
