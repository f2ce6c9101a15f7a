import Foundation
import Logging
import Testing
@testable import NGram

/// Files `train ngram` and `convert` write get the mode any new file gets, 0666 minus the
/// umask, like files written in place (not mkstemp's 0600).
@Suite struct OutputModeTests {
    /// This process's umask, read from /proc (setting it to read it would race other tests).
    private func umask() throws -> mode_t {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        return try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
    }

    private func mode(_ path: String) throws -> mode_t {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return mode_t(try #require(attributes[.posixPermissions] as? Int))
    }

    @Test func trainedAndConvertedModelsGetTheUsualMode() throws {
        let expected = 0o666 & ~(try umask())
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try TrainingFixtures.trainSlice(lines: 300, in: dir)
        for name in ["model.arpa", "model.arpa.gz", "model.lmb"] {
            let output = dir.appendingPathComponent(name).path
            _ = try TrainingFixtures.train([text], to: output, order: 2)
            let got = try mode(output)
            #expect(got == expected, "\(name): \(String(got, radix: 8))")
        }
        // `lmserve convert`: ARPA in, .lmb out.
        let model = try NGramModel.loadARPA(
            path: dir.appendingPathComponent("model.arpa").path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let converted = dir.appendingPathComponent("converted.lmb").path
        try model.writeBinary(to: converted)
        #expect(try mode(converted) == expected)
        // Nothing but the models and the text is left behind (no temporary files).
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["converted.lmb", "model.arpa", "model.arpa.gz", "model.lmb", "slice.txt"])
    }
}
