import Foundation
import Testing
@testable import NGram

/// `mkn` against lmplz's models of train.txt (orders 2–4): same n-grams, values within 1e-5,
/// discounts as in lmplz's log.
@Suite struct MKNReferenceTests {
    @Test(arguments: [2, 3, 4])
    func matchesLmplz(order: Int) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("kjv\(order).arpa.gz").path
        let summary = try TrainingFixtures.train([TrainingFixtures.trainText], to: out, order: order)

        let ours = try TestARPAModel(path: out)
        let ref = try TestARPAModel(path: TrainingFixtures.reference("kjv\(order).arpa.gz"))
        #expect(ours.headerCounts == ref.headerCounts)
        #expect(summary.counts == ref.headerCounts)
        for k in 0..<order {
            #expect(ours.entries[k].count == ref.entries[k].count)
            var missing = 0
            var badProb = 0
            var badBow = 0
            for (key, e) in ref.entries[k] {
                let mine = key.map { ours.ids[ref.words[Int($0)]] ?? -1 }
                guard let o = ours.entries[k][mine] else {
                    missing += 1
                    continue
                }
                if abs(o.prob - e.prob) > 1e-5 { badProb += 1 }
                if abs(o.bow - e.bow) > 1e-5 { badBow += 1 }
            }
            #expect(missing == 0, "order \(k + 1): \(missing) n-grams missing")
            #expect(badProb == 0, "order \(k + 1): \(badProb) probabilities differ by more than 1e-5")
            #expect(badBow == 0, "order \(k + 1): \(badBow) backoffs differ by more than 1e-5")
        }

        // Discounts as lmplz logged them (6 significant digits): equal to within 5e-6, and the same
        // text when printed the same way.
        let log = try String(contentsOfFile: TrainingFixtures.reference("kjv\(order).lmplz.log"), encoding: .utf8)
        var logged: [[Double]] = []
        var loggedText: [[String]] = []
        for line in log.split(separator: "\n") where line.contains("D1=") {
            let fields = line.split(separator: " ").dropFirst(2).map { String($0.split(separator: "=")[1]) }
            loggedText.append(fields)
            logged.append(fields.map { Double($0)! })
        }
        #expect(logged.count == order)
        for k in 0..<order {
            for j in 0..<3 {
                let a = summary.discounts[k][j]
                let b = logged[k][j]
                #expect(abs(a - b) <= 5e-6 * max(1, abs(b)) + 5e-6, "order \(k + 1) D\(j + 1): \(a) vs \(b)")
                #expect(String(format: "%g", a) == loggedText[k][j])
            }
        }
    }
}
