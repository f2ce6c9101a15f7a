import Foundation
import Testing
@testable import NGram

/// `--memory` bounds estimation too: when the distinct n-grams do not fit, counts, adjusted
/// counts, discounts, probabilities and the writers work as passes over sorted files, and the
/// model is byte-for-byte the one the in-memory estimation writes.
@Suite struct DiskEstimationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var order: Int
        var smoothing: NGramSmoothing = .mkn
        var prune: [UInt32] = []
        var minCount = 1
        var format = "arpa"
        var testDescription: String {
            "\(smoothing) order \(order) prune \(prune) min-count \(minCount) .\(format)"
        }
    }

    static let cases: [Case] = [
        Case(order: 1),
        Case(order: 2, smoothing: .addk, format: "arpa.gz"),
        Case(order: 3, format: "arpa.gz"),
        Case(order: 3, smoothing: .wb, prune: [0, 1]),
        Case(order: 3, smoothing: .jm),
        Case(order: 4, smoothing: .kn, format: "lmb"),
        Case(order: 4, smoothing: .katz, prune: [1]),
        Case(order: 4, minCount: 2),
        Case(order: 5, prune: [0, 1, 1]),
        Case(order: 5, format: "lmb"),
    ]

    @Test(arguments: cases)
    func onDiskEstimationWritesTheSameBytes(_ c: Case) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 1500, in: dir)
        let inMemory = dir.appendingPathComponent("mem.\(c.format)").path
        let onDisk = dir.appendingPathComponent("disk.\(c.format)").path
        func configure(_ o: inout NGramTrainingOptions) {
            o.prune = c.prune
            o.minCount = c.minCount
            o.temporaryDirectory = dir.path
        }
        let a = try TrainingFixtures.train([slice], to: inMemory, order: c.order, smoothing: c.smoothing, configure: configure)
        var events: [String] = []
        var options = NGramTrainingOptions(order: c.order)
        options.smoothing = c.smoothing
        configure(&options)
        options.memoryBytes = 64 << 10
        let b = try NGramTrainer.train(inputs: [slice], output: onDisk, options: options) { event in
            if case .stage(let s) = event { events.append(s) }
        }
        #expect(a.estimationPasses == 0)
        #expect(b.estimationPasses == 4 * c.order - 1)
        // Each pass says so; a 64 KiB budget sorts in runs of a few hundred entries, more than
        // one merge takes at once.
        #expect(events.filter { $0.hasPrefix("pass ") }.count == b.estimationPasses)
        if c.order >= 3 {
            #expect(b.sortedRuns > 64)
            #expect(events.contains { $0.hasPrefix("merging") && $0.contains("sorted runs") })
        }
        #expect(a.counts == b.counts)
        #expect(a.discounts == b.discounts)
        let x = try Data(contentsOf: URL(fileURLWithPath: inMemory))
        let y = try Data(contentsOf: URL(fileURLWithPath: onDisk))
        #expect(x.count > 0)
        // A Bool, not `x == y` inside #expect: the macro would diff megabytes of bytes.
        let same = x == y
        let firstDifference = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
        #expect(same, "sizes \(x.count) and \(y.count), first difference at byte \(firstDifference)")
        // Every temporary file is gone.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("lmserve-") || $0.contains(".tmp") }
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
