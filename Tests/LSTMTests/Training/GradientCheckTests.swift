import LMCore
import Testing

@testable import LSTM

/// Analytic gradients of every parameter tensor against central finite differences.
@Suite struct GradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var emb: Int, hidden: Int, proj: Int, tied: Bool, dropout: Float
        var testDescription: String { "E\(emb) H\(hidden) P\(proj) tie=\(tied) dropout=\(dropout)" }
    }

    static let cases: [Case] = [
        Case(emb: 4, hidden: 5, proj: 0, tied: false, dropout: 0),
        Case(emb: 4, hidden: 5, proj: 3, tied: false, dropout: 0),
        Case(emb: 5, hidden: 5, proj: 0, tied: true, dropout: 0),
        Case(emb: 4, hidden: 5, proj: 4, tied: true, dropout: 0),
        Case(emb: 4, hidden: 5, proj: 0, tied: false, dropout: 0.3),
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) throws {
        let arch = LSTMArchitecture(
            vocabularySize: 12, embeddingSize: c.emb, hiddenSize: c.hidden, layers: 2, projectionSize: c.proj,
            tied: c.tied)
        try arch.validate()
        let net = TrainingNetwork(arch)
        net.initialize(seed: 7)
        // Larger weights than the training init so every gate saturates a little and gradients are not tiny.
        for i in 0..<net.parameterCount { net.parameters[i] *= 3 }
        var lineGenerator = SeededGenerator(seed: 3)
        let lines: [[TokenID]] = (0..<4).map { i in
            (0..<(1 + i * 2)).map { _ in TokenID(1 + lineGenerator.next() % 11) }
        }
        var generator = SeededGenerator(seed: 11)
        let (_, n) = net.computeGradients(lines, dropout: c.dropout, generator: &generator)
        let analytic = Array(UnsafeBufferPointer(start: net.gradients, count: net.parameterCount))

        func meanLoss() -> Double {
            var g = SeededGenerator(seed: 11)
            return net.loss(lines, dropout: c.dropout, generator: &g).lossSum / Double(n)
        }
        let eps: Float = 3e-2
        for slot in net.layout.tensors {
            var diff2 = 0.0, norm2 = 0.0
            for i in slot.offset..<(slot.offset + slot.count) {
                let saved = net.parameters[i]
                net.parameters[i] = saved + eps
                let up = meanLoss()
                net.parameters[i] = saved - eps
                let down = meanLoss()
                net.parameters[i] = saved
                let numeric = (up - down) / Double(2 * eps)
                diff2 += (numeric - Double(analytic[i])) * (numeric - Double(analytic[i]))
                norm2 += numeric * numeric
            }
            let relative = diff2.squareRoot() / max(norm2.squareRoot(), 1e-6)
            #expect(norm2 > 1e-10, "\(slot.name) has no gradient at all")
            #expect(relative < 1e-2, "\(slot.name): relative error \(relative)")
        }
    }
}

/// Splitting the element-wise work over threads changes no bit of the loss or the gradients.
@Suite struct ParallelWorkTests {
    @Test func workersDoNotChangeResults() throws {
        let arch = LSTMArchitecture(vocabularySize: 3000, embeddingSize: 16, hiddenSize: 24, layers: 2, projectionSize: 0)
        var lineGenerator = SeededGenerator(seed: 1)
        let lines: [[TokenID]] = (0..<12).map { i in (0..<(3 + i)).map { _ in TokenID(2 + lineGenerator.next() % 2998) } }
        func run(workers: Int) -> (Double, [Float], [Float]) {
            let net = TrainingNetwork(arch)
            net.initialize(seed: 5)
            net.workers = workers
            var g = SeededGenerator(seed: 2)
            let (loss, _) = net.computeGradients(lines, dropout: 0.1, generator: &g)
            let adam = AdamOptimizer(count: net.parameterCount, learningRate: 0.01)
            let grads = Array(UnsafeBufferPointer(start: net.gradients, count: net.parameterCount))
            adam.update(net.parameters, gradients: net.gradients, workers: workers)
            return (loss, grads, Array(UnsafeBufferPointer(start: net.parameters, count: net.parameterCount)))
        }
        let one = run(workers: 1), two = run(workers: 2), three = run(workers: 3)
        #expect(one.0 == two.0 && one.0 == three.0)
        #expect(one.1 == two.1 && one.1 == three.1)
        #expect(one.2 == two.2 && one.2 == three.2)
    }
}
