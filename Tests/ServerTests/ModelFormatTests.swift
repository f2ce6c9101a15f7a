import Foundation
import LMCore
import Logging
import NGram
import Testing
@testable import Server

/// Model files are told apart by their content, through the registry of formats.
@Suite struct ModelFormatTests {
    let logger = Logger(label: "test")

    @Test func recognisesEachFormatByContentNotName() throws {
        let dir = TempDir()
        let arpa = Shared.path("reference/kenlm/edge.arpa")
        let lmb = dir.path("edge.arpa")  // a binary under an ARPA name
        try NGramModel.loadARPA(path: arpa, logger: logger).writeBinary(to: lmb)
        let lstm = dir.path("lstm.bin")  // safetensors without its extension
        try FileManager.default.copyItem(atPath: Shared.repo.appendingPathComponent("models/kjv-lstm.safetensors").path, toPath: lstm)
        let registry = ModelFormatRegistry.standard
        #expect(try registry.format(of: arpa).name == "arpa")
        #expect(try registry.format(of: lmb).name == "lmb")
        #expect(try registry.format(of: lstm).name == "safetensors")
        let binary = try registry.load(path: lmb, logger: logger)
        #expect(binary.description.format == "lmb" && binary.description.type == "ngram" && binary.description.reportsNGramLength)
        #expect(binary.description.parameter("order") == (try NGramModel.loadARPA(path: arpa, logger: logger)).order)
        let recurrent = try registry.load(path: lstm, logger: logger)
        #expect(recurrent.description.format == "safetensors" && recurrent.description.parameter("layers") == 1)
        #expect(!recurrent.description.reportsNGramLength && !recurrent.description.prefersWholeSentenceScoring)
        #expect(throws: ModelLoadError.self) { try registry.format(of: dir.path("missing")) }
    }

    /// A format is one type and one entry in the list; formats before ARPA's catch-all win.
    @Test func aFormatIsOneEntryInTheList() throws {
        struct SlowFormat: ModelFormat {
            var name: String { "slow" }
            func recognizes(path: String, header: [UInt8]) -> Bool { header.starts(with: Array("SLOW".utf8)) }
            func load(path: String, logger: Logger) throws -> any LanguageModel { SlowModel() }
        }
        let dir = TempDir()
        let file = dir.path("model.arpa")
        try "SLOW model".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ModelLoadError.self) { try ModelFormatRegistry.standard.load(path: file, logger: logger) }
        let registry = ModelFormatRegistry([SlowFormat()] + ModelFormatRegistry.standard.formats)
        #expect(try registry.format(of: file).name == "slow")
        #expect(try registry.load(path: file, logger: logger).description.path == "slow")
        #expect(try registry.format(of: Shared.path("reference/kenlm/edge.arpa")).name == "arpa")
    }
}
