import Foundation
import Testing

import LMCore
@testable import LSTM

@Suite struct TrainingMathTests {
    /// `f` applied in place to a copy of `xs`, through `TrainingMath.map` (a partial last block included).
    private func applied(_ xs: [Float], _ f: (inout [Float]) -> Void) -> [Float] {
        var v = xs
        f(&v)
        return v
    }

    @Test func expSigmoidTanhMatchLibm() {
        let xs = (-8700...8830).map { Float($0) / 100 }
        let e = applied(xs) { v in v.withUnsafeMutableBufferPointer { TrainingMath.map($0.baseAddress!, count: $0.count) { VectorMath.exp($0) } } }
        let s = applied(xs) { v in v.withUnsafeMutableBufferPointer { TrainingMath.sigmoid($0.baseAddress!, count: $0.count) } }
        let t = applied(xs) { v in v.withUnsafeMutableBufferPointer { TrainingMath.tanh($0.baseAddress!, count: $0.count) } }
        var worstExp: Double = 0, worstSigmoid: Double = 0, worstTanh: Double = 0
        for (i, x) in xs.enumerated() {
            let exact = Foundation.exp(Double(x))
            worstExp = max(worstExp, abs(Double(e[i]) - exact) / exact)
            worstSigmoid = max(worstSigmoid, abs(Double(s[i]) - 1 / (1 + Foundation.exp(-Double(x)))))
            worstTanh = max(worstTanh, abs(Double(t[i]) - Foundation.tanh(Double(x))))
        }
        #expect(worstExp < 4e-7)
        #expect(worstSigmoid < 2e-7)
        #expect(worstTanh < 4e-7)
        let extremes = applied([-200, 200]) { v in v.withUnsafeMutableBufferPointer { TrainingMath.map($0.baseAddress!, count: 2) { VectorMath.exp($0) } } }
        #expect(extremes[0] < 1e-37 && extremes[0] >= 0)
        #expect(extremes[1].isFinite)
    }

    @Test func softmaxReturnsLogSumExp() {
        let logits: [Float] = (0..<37).map { Float($0 % 7) * 1.3 - 4 }
        var row = logits
        let lse = row.withUnsafeMutableBufferPointer { TrainingMath.softmax($0.baseAddress!, count: $0.count) }
        let exact = Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp(Double($1)) })
        #expect(abs(Double(lse) - exact) < 1e-5)
        #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        for (p, l) in zip(row, logits) { #expect(abs(Double(p) - Foundation.exp(Double(l) - exact)) < 1e-6) }
    }
}
