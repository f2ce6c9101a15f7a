import Foundation
@testable import NGram

/// Paths to the shared golden data and scratch folders for training tests.
enum TrainingFixtures {
    /// /work/shared, found from this file (Tests/NGramTests/Training/…) as ../shared of the worktree.
    static let shared: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared").standardizedFileURL

    static var trainText: String { shared.appendingPathComponent("corpora/kjv/train.txt").path }
    static var testText: String { shared.appendingPathComponent("corpora/kjv/test.txt").path }
    static func reference(_ name: String) -> String { shared.appendingPathComponent("reference/kenlm/\(name)").path }

    /// A fresh empty folder under the system temporary directory.
    static func scratch(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lmserve-train-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The first `lines` lines of train.txt, written to `dir`.
    static func trainSlice(lines: Int, in dir: URL) throws -> String {
        let text = try String(contentsOfFile: trainText, encoding: .utf8)
        let slice = text.split(separator: "\n").prefix(lines).joined(separator: "\n") + "\n"
        let path = dir.appendingPathComponent("slice.txt").path
        try slice.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func train(_ inputs: [String], to output: String, order: Int, smoothing: NGramSmoothing = .mkn,
                      configure: (inout NGramTrainingOptions) -> Void = { _ in }) throws -> NGramTrainingSummary {
        var options = NGramTrainingOptions(order: order)
        options.smoothing = smoothing
        configure(&options)
        return try NGramTrainer.train(inputs: inputs, output: output, options: options)
    }
}
