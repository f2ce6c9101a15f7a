import Foundation
import Logging
import Testing
@testable import NGram

@Suite struct SpillTests {
    /// A tiny --memory forces sorted count runs to disk; the model is byte-for-byte the same.
    @Test(arguments: [NGramSmoothing.mkn, .katz])
    func spillingGivesTheSameModel(smoothing: NGramSmoothing) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 3000, in: dir)
        let inMemory = dir.appendingPathComponent("mem.arpa").path
        let spilled = dir.appendingPathComponent("spill.arpa").path
        let a = try TrainingFixtures.train([slice], to: inMemory, order: 4, smoothing: smoothing)
        let b = try TrainingFixtures.train([slice], to: spilled, order: 4, smoothing: smoothing) {
            $0.memoryBytes = 64 << 10
            $0.temporaryDirectory = dir.path
        }
        #expect(a.spilledRuns == 0)
        #expect(b.spilledRuns > 64)  // more runs than one merge pass takes: a multi-pass merge
        #expect(b.spilledTokens > 0)
        let x = try Data(contentsOf: URL(fileURLWithPath: inMemory))
        let y = try Data(contentsOf: URL(fileURLWithPath: spilled))
        #expect(x == y)
        // Spill files are removed.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("lmserve-") }
        #expect(left.isEmpty)
    }
}

@Suite struct TrainingErrorTests {
    private func expectNoModel(_ dir: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("model") }
        #expect(files.isEmpty, "left behind: \(files)")
    }

    private func write(_ text: String, _ dir: URL, _ name: String = "in.txt") throws -> String {
        let p = dir.appendingPathComponent(name).path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test(arguments: [0, -1, 9])
    func badOrder(order: Int) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write("a b c\n", dir)
        #expect(throws: NGramTrainingError.invalidOrder(order)) {
            _ = try TrainingFixtures.train([input], to: dir.appendingPathComponent("model.arpa").path, order: order)
        }
        try expectNoModel(dir)
    }

    @Test(arguments: ["", "\n\n  \n"])
    func emptyCorpus(text: String) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write(text, dir)
        #expect(throws: NGramTrainingError.emptyCorpus) {
            _ = try TrainingFixtures.train([input], to: dir.appendingPathComponent("model.arpa").path, order: 3)
        }
        try expectNoModel(dir)
    }

    @Test(arguments: ["<s>", "</s>"])
    func sentenceMarkersInText(marker: String) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write("a b c\nd \(marker) e\n", dir)
        let error = #expect(throws: NGramTrainingError.self) {
            _ = try TrainingFixtures.train([input], to: dir.appendingPathComponent("model.arpa").path, order: 3)
        }
        #expect(error == .sentenceMarkerInText(token: marker, source: input, line: 2))
        #expect(error?.description.contains("in.txt:2") == true)
        try expectNoModel(dir)
    }

    @Test func unwritableOutput() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write("a b c\n", dir)
        let out = dir.appendingPathComponent("missing/model.arpa").path
        let error = #expect(throws: NGramTrainingError.self) {
            _ = try TrainingFixtures.train([input], to: out, order: 2)
        }
        guard case .unwritableOutput(let path, _) = error else {
            Issue.record("expected unwritableOutput, got \(String(describing: error))")
            return
        }
        #expect(path == out)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func unreadableInput() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: NGramTrainingError.self) {
            _ = try TrainingFixtures.train([dir.appendingPathComponent("nope.txt").path],
                                           to: dir.appendingPathComponent("model.arpa").path, order: 2)
        }
        guard case .unreadableInput = error else {
            Issue.record("expected unreadableInput, got \(String(describing: error))")
            return
        }
        try expectNoModel(dir)
    }

    /// `--output X.lmb` writes the binary format, which scores exactly as the ARPA output.
    @Test func binaryOutputScoresAsTheARPA() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try TrainingFixtures.trainSlice(lines: 2000, in: dir)
        let arpa = dir.appendingPathComponent("model.arpa").path
        let lmb = dir.appendingPathComponent("model.lmb").path
        _ = try TrainingFixtures.train([input], to: arpa, order: 3)
        _ = try TrainingFixtures.train([input], to: lmb, order: 3)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let a = try NGramModel.load(path: arpa, logger: logger)
        let b = try NGramModel.load(path: lmb, logger: logger)
        #expect(b.description.format == "lmb")
        let lines = try String(contentsOfFile: TrainingFixtures.testText, encoding: .utf8).split(separator: "\n").prefix(100)
        for line in lines {
            let words = line.split(separator: " ")
            #expect(a.score(sentence: words, sentenceContext: true) == b.score(sentence: words, sentenceContext: true))
        }
        // No temporary file is left beside the model.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp") }
        #expect(left.isEmpty)
    }

    /// Tiny data has no 2-grams seen twice: mkn refuses, --discount-fallback rescues only that order.
    @Test func discountFallback() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write("a b c d\na b e f\n", dir)
        let out = dir.appendingPathComponent("model.arpa").path
        #expect(throws: NGramTrainingError.self) { _ = try TrainingFixtures.train([input], to: out, order: 2) }
        try expectNoModel(dir)
        let s = try TrainingFixtures.train([input], to: out, order: 2) { $0.discountFallback = [0.5, 1, 1.5] }
        #expect(s.discounts.allSatisfy { $0 == [0.5, 1, 1.5] })
        #expect(FileManager.default.fileExists(atPath: out))
    }
}
