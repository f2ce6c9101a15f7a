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
