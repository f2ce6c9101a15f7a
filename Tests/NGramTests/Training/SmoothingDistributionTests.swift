import Foundation
import LMCore
import Testing
@testable import NGram

/// Every smoothing writes a proper distribution: for 200 random seen contexts per order, the
/// probabilities of every word but `<s>` (so `</s>` and `<unk>` included) sum to 1.
@Suite struct SmoothingDistributionTests {
    static let cases: [(NGramSmoothing, Int)] = NGramSmoothing.allCases.flatMap { s in (2...5).map { (s, $0) } }

    @Test(arguments: NGramSmoothing.allCases)
    func sumsToOne(smoothing: NGramSmoothing) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 1500, in: dir)
        for order in 2...5 {
            let out = dir.appendingPathComponent("\(smoothing)\(order).arpa").path
            _ = try TrainingFixtures.train([slice], to: out, order: order, smoothing: smoothing)
            let model = try TestARPAModel(path: out)
            let bos = model.ids["<s>"]!
            let vocabulary = model.entries[0].keys.map { $0[0] }.filter { $0 != bos }
            var rng = SeededGenerator(seed: UInt64(order * 1000 + smoothing.rawValue.count))
            for k in 1..<order {
                // Seen contexts of length k: those with a backoff entry that has extensions.
                let contexts = Set(model.entries[k].keys.map { Array($0.dropLast()) }).sorted { $0.lexicographicallyPrecedes($1) }
                for _ in 0..<200 {
                    let ctx = contexts[Int(rng.next() % UInt64(contexts.count))]
                    var sum = 0.0
                    for w in vocabulary { sum += pow(10, model.log10Prob(w, context: ctx[...])) }
                    #expect(abs(sum - 1) < 1e-4, "\(smoothing) order \(order) context \(ctx.map { model.words[Int($0)] }): sum \(sum)")
                    if abs(sum - 1) >= 1e-4 { return }
                }
            }
            // The empty context too.
            var sum = 0.0
            for w in vocabulary { sum += pow(10, model.log10Prob(w, context: [])) }
            #expect(abs(sum - 1) < 1e-4, "\(smoothing) order \(order) unigrams: sum \(sum)")
        }
    }
}
