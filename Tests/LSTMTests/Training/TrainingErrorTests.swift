import Foundation
import Testing

@testable import LSTM

@Suite struct TrainingErrorTests {
    let text = TrainingFixtures.repetitiveText(lines: 20, seed: 1)

    @Test func missingAndEmptyFiles() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.txt").path
        let blank = dir.appendingPathComponent("blank.txt").path
        try text.write(toFile: good, atomically: true, encoding: .utf8)
        try "\n  \n\t\n".write(toFile: blank, atomically: true, encoding: .utf8)
        let o = TrainingFixtures.options()
        let missing = dir.appendingPathComponent("nope.txt").path
        #expect(throws: LSTMTrainingError.unreadableFile(path: missing, reason: "no such file")) {
            try LSTMTrainer(options: o, trainPath: missing, validPath: good)
        }
        #expect(throws: LSTMTrainingError.emptyFile(path: blank)) {
            try LSTMTrainer(options: o, trainPath: good, validPath: blank)
        }
        #expect(throws: LSTMTrainingError.emptyFile(path: "the validation text")) {
            try LSTMTrainer(options: o, trainText: text, validText: " \n\n")
        }
    }

    @Test func badSizes() {
        func expectBad(_ name: String, _ change: (inout LSTMTrainingOptions) -> Void) {
            var o = TrainingFixtures.options()
            change(&o)
            #expect {
                try LSTMTrainer(options: o, trainText: text, validText: text)
            } throws: { error in
                guard case .badSetting(let n, _) = error as? LSTMTrainingError else { return false }
                return n == name
            }
        }
        expectBad("hidden") { $0.hiddenSize = 0 }
        expectBad("emb") { $0.embeddingSize = -3 }
        expectBad("layers") { $0.layers = 0 }
        expectBad("proj") { $0.projectionSize = 12 }
        expectBad("dropout") { $0.dropout = 1 }
        expectBad("batch") { $0.batchSize = 0 }
        expectBad("lr") { $0.learningRate = 0 }
        expectBad("epochs") { $0.epochs = 0 }
        expectBad("minutes") { $0.minutes = -1 }
        expectBad("min-count") { $0.minCount = 1000 }
    }

    @Test func tieNeedsMatchingSizes() {
        var o = TrainingFixtures.options(emb: 8, hidden: 12, tied: true)
        #expect(throws: LSTMTrainingError.tieSizeMismatch(embedding: 8, decoderInput: 12)) {
            try LSTMTrainer(options: o, trainText: text, validText: text)
        }
        o.projectionSize = 8
        #expect(throws: Never.self) { try LSTMTrainer(options: o, trainText: text, validText: text) }
    }

    @Test func unwritableOutputFailsBeforeTraining() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try LSTMTrainer(options: TrainingFixtures.options(), trainText: text, validText: text)
        var reports = 0
        #expect {
            try trainer.run(output: dir.appendingPathComponent("no/such/dir/m.safetensors").path) { _ in reports += 1 }
        } throws: { error in
            if case .unwritableOutput = error as? LSTMTrainingError { return true }
            return false
        }
        #expect(throws: LSTMTrainingError.unwritableOutput(path: dir.path, reason: "it is a directory")) {
            try trainer.run(output: dir.path)
        }
        #expect(reports == 0)
        // Nothing but the directory itself is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
