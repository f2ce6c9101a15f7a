import Foundation
import LMCore
import Testing

@testable import LSTM

/// Scores an exported model with `scripts/check_lstm_numpy.py` (an independent numpy forward of
/// PyTorch's nn.LSTM) and with `scripts/check_lstm_torch.py` (PyTorch itself, after a strict
/// `load_state_dict`), and compares both with the training-side forward pass.
@Suite struct NumpyParityTests {
    /// Whether `python3` can import torch (scripts/setup.sh installs the CPU wheel when it can).
    static let torchAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import torch, safetensors"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    static let configurations = [(1, 0, false), (2, 0, false), (2, 6, false), (2, 8, true)]

    @Test(arguments: configurations)
    func exportedModelScoresTheSameInNumpy(layers: Int, proj: Int, tied: Bool) throws {
        try Self.check(script: "check_lstm_numpy.py", layers: layers, proj: proj, tied: tied)
    }

    @Test(.enabled(if: torchAvailable, "PyTorch is not installed"), arguments: configurations)
    func exportedModelLoadsAndScoresTheSameInPyTorch(layers: Int, proj: Int, tied: Bool) throws {
        try Self.check(script: "check_lstm_torch.py", layers: layers, proj: proj, tied: tied)
    }

    /// Trains a small model, exports it, scores a text with `script` and with the trainer.
    static func check(script: String, layers: Int, proj: Int, tied: Bool) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var o = TrainingFixtures.options(emb: 8, hidden: 12, layers: layers, proj: proj, tied: tied)
        o.epochs = 2
        let trainer = try LSTMTrainer(
            options: o, trainText: TrainingFixtures.repetitiveText(lines: 80, seed: 7),
            validText: TrainingFixtures.repetitiveText(lines: 10, seed: 8))
        _ = try trainer.run(output: dir.appendingPathComponent("best.safetensors").path)
        let model = dir.appendingPathComponent("model.safetensors")
        try trainer.writeCheckpoint(to: model.path)
        // Unknown words (zebra, <unk> itself), blank lines and extra spaces included.
        let text = TrainingFixtures.repetitiveText(lines: 12, seed: 9) + "the zebra sees  <unk> .\n\nthe\n"
        let textURL = dir.appendingPathComponent("text.txt")
        try text.write(to: textURL, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let path = TrainingFixtures.repositoryRoot.appendingPathComponent("scripts/\(script)").path
        process.arguments = ["python3", path, model.path, textURL.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(script) failed")

        let rows = String(decoding: output, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t") }
        let lines = TrainingCorpus(text: text, vocabulary: trainer.vocabulary).lines
        try #require(rows.count == lines.count)
        let ours = trainer.scoreLines(lines)
        for (i, row) in rows.enumerated() {
            #expect(Int(row[0]) == lines[i].count + 1)
            let theirs = try #require(Double(row[2]))
            #expect(abs(theirs - ours[i]) < 1e-4, "\(script), line \(i + 1): \(theirs), lmserve \(ours[i])")
        }
        #expect(rows.last.map { Int($0[1]) } == 0)
        #expect(rows[rows.count - 2][1] == "2")
    }
}
