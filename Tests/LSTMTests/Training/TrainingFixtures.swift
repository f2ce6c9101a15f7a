import Foundation
import LMCore

@testable import LSTM

/// Small synthetic corpora and temp directories for the training tests.
enum TrainingFixtures {
    /// A repetitive corpus: a few sentence templates with interchangeable words.
    static func repetitiveText(lines: Int, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        let subjects = ["the cat", "the dog", "a bird", "my friend"]
        let verbs = ["sees", "likes", "chases", "finds"]
        let objects = ["the ball", "a fish", "the tree", "the house"]
        var out = ""
        for i in 0..<lines {
            let s = subjects[Int(g.next() % 4)], v = verbs[Int(g.next() % 4)], o = objects[Int(g.next() % 4)]
            switch i % 3 {
            case 0: out += "\(s) \(v) \(o) .\n"
            case 1: out += "and then \(s) \(v) \(o) again .\n"
            default: out += "\n   \n\(s) \(v) \(o) , and \(s) \(v) \(o) .\n"
            }
        }
        return out
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lstmtrain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func options(emb: Int = 8, hidden: Int = 12, layers: Int = 1, proj: Int = 0, tied: Bool = false) -> LSTMTrainingOptions {
        var o = LSTMTrainingOptions(embeddingSize: emb, hiddenSize: hidden, layers: layers, projectionSize: proj, tied: tied)
        o.minCount = 1
        o.batchSize = 8
        o.learningRate = 0.01
        o.epochs = 3
        o.seed = 42
        o.threads = 1
        return o
    }

    /// The repository root (for `scripts/`), from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}
