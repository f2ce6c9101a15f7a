import Foundation
import Testing
@testable import LMCore

@Suite struct SamplerTests {
    let logProbs: [Float] = [0.5, 0.2, 0.15, 0.1, 0.05].map { Float(log($0)) }

    func draw(_ p: SamplingParameters, seed: UInt64, n: Int, excluded: Set<TokenID> = []) -> [TokenID] {
        var s = Sampler(parameters: p, seed: seed, excluded: excluded)
        return logProbs.withUnsafeBufferPointer { buf in (0..<n).map { _ in s.sample(buf) } }
    }

    @Test func greedyPicksArgmaxAndSkipsExcluded() {
        #expect(draw(.init(temperature: 0), seed: 1, n: 3) == [0, 0, 0])
        #expect(draw(.init(temperature: 0), seed: 1, n: 1, excluded: [0]) == [1])
    }

    @Test func sameSeedSameDraws() {
        let a = draw(.init(temperature: 1), seed: 42, n: 200)
        #expect(a == draw(.init(temperature: 1), seed: 42, n: 200))
        #expect(a != draw(.init(temperature: 1), seed: 43, n: 200))
    }

    @Test func frequenciesFollowTheDistribution() {
        let n = 20_000
        let draws = draw(.init(temperature: 1), seed: 7, n: n)
        for (id, p) in [0.5, 0.2, 0.15, 0.1, 0.05].enumerated() {
            let f = Double(draws.filter { $0 == id }.count) / Double(n)
            #expect(abs(f - p) < 0.015, "token \(id): \(f) vs \(p)")
        }
    }

    /// Across SIMD blocks (19 tokens: two whole blocks and a partial one), with impossible
    /// (-inf, NaN) and excluded tokens, at temperature 2: frequencies follow p^(1/2), renormalised.
    @Test func wholeDistributionAcrossBlocks() {
        var probs = (0..<19).map { Double($0 % 7 + 1) }
        probs[3] = 0  // -inf
        probs[17] = 0  // excluded
        let total = probs.reduce(0, +)
        var logProbs = probs.map { Float(log($0 / total)) }
        logProbs[11] = .nan
        let excluded: Set<TokenID> = [17]
        var expected = probs.map { $0.squareRoot() }
        expected[11] = 0
        let norm = expected.reduce(0, +)
        var sampler = Sampler(parameters: .init(temperature: 2), seed: 11, excluded: excluded)
        let n = 60_000
        var counts = [Int](repeating: 0, count: 19)
        logProbs.withUnsafeBufferPointer { buf in
            for _ in 0..<n { counts[Int(sampler.sample(buf))] += 1 }
        }
        #expect(counts[3] == 0 && counts[11] == 0 && counts[17] == 0)
        for id in 0..<19 {
            let f = Double(counts[id]) / Double(n)
            #expect(abs(f - expected[id] / norm) < 0.01, "token \(id): \(f) vs \(expected[id] / norm)")
        }
    }

    /// An excluded token far more probable than the rest does not flatten the others: at a low
    /// temperature the best allowed token still wins every draw.
    @Test func dominantExcludedTokenAtLowTemperature() {
        var logProbs = [Float](repeating: -30, count: 21)
        logProbs[0] = 0
        logProbs[1] = -10
        logProbs[2] = -11
        var sampler = Sampler(parameters: .init(temperature: 0.05), seed: 5, excluded: [0])
        let draws = logProbs.withUnsafeBufferPointer { buf in (0..<2_000).map { _ in sampler.sample(buf) } }
        #expect(draws.allSatisfy { $0 == 1 }, "\(Set(draws))")
    }

    @Test func topKAndTopPCut() {
        #expect(Set(draw(.init(temperature: 1, topK: 2), seed: 3, n: 2000)) == [0, 1])
        // 0.5 + 0.2 = 0.7 reaches top_p 0.7: only the first two survive.
        #expect(Set(draw(.init(temperature: 1, topP: 0.7), seed: 3, n: 2000)) == [0, 1])
        #expect(Set(draw(.init(temperature: 1, topP: 0.71), seed: 3, n: 4000)) == [0, 1, 2])
    }

    @Test func tinyTemperatureIsGreedy() {
        #expect(draw(.init(temperature: .leastNonzeroMagnitude), seed: 2, n: 5) == [0, 0, 0, 0, 0])
    }

    @Test func lowTemperatureSharpens() {
        let draws = draw(.init(temperature: 0.05), seed: 9, n: 1000)
        #expect(draws.filter { $0 == 0 }.count > 990)
    }

    @Test func topAlternativesOrdersByProbability() {
        let top = logProbs.withUnsafeBufferPointer { topAlternatives($0, k: 3) }
        #expect(top.map(\.id) == [0, 1, 2])
    }
}
