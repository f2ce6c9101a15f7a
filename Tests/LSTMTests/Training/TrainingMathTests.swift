import Foundation
import Testing

@testable import LSTM

@Suite struct TrainingMathTests {
    @Test func expSigmoidTanhMatchLibm() {
        var worstExp: Double = 0, worstSigmoid: Double = 0, worstTanh: Double = 0
        for i in -8700...8830 {
            let x = Float(i) / 100
            let exact = Foundation.exp(Double(x))
            worstExp = max(worstExp, abs(Double(TrainingMath.exp(x)) - exact) / exact)
            worstSigmoid = max(worstSigmoid, abs(Double(TrainingMath.sigmoid(x)) - 1 / (1 + Foundation.exp(-Double(x)))))
            worstTanh = max(worstTanh, abs(Double(TrainingMath.tanh(x)) - Foundation.tanh(Double(x))))
        }
        #expect(worstExp < 4e-7)
        #expect(worstSigmoid < 2e-7)
        #expect(worstTanh < 4e-7)
        #expect(TrainingMath.exp(-200) < 1e-37 && TrainingMath.exp(-200) >= 0)
        #expect(TrainingMath.exp(200).isFinite)
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
