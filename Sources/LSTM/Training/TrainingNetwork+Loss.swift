import Foundation
import LMCore

extension TrainingNetwork {
    /// Zeroes the gradients, then runs forward and backward over `lines` for the loss
    /// mean(−ln p) over all the batch's predictions. Returns −Σ ln p and the prediction count.
    @discardableResult
    func computeGradients(
        _ lines: [[TokenID]], dropout: Float, generator: inout SeededGenerator
    ) -> (lossSum: Double, predictions: Int) {
        gradients.update(repeating: 0, count: parameterCount)
        prepare(lines)
        drawDropout(probability: dropout, generator: &generator)
        forwardRecurrent()
        let n = lines.reduce(0) { $0 + $1.count + 1 }
        let loss = decode(gradientScale: 1 / Float(n))
        backwardRecurrent()
        return (loss, n)
    }

    /// −Σ ln p and the prediction count of `lines`, forward only; with `dropout` > 0 the masks
    /// come from `generator` exactly as `computeGradients` would draw them.
    func loss(_ lines: [[TokenID]], dropout: Float, generator: inout SeededGenerator) -> (lossSum: Double, predictions: Int) {
        prepare(lines)
        drawDropout(probability: dropout, generator: &generator)
        forwardRecurrent()
        return (decode(gradientScale: nil), lines.reduce(0) { $0 + $1.count + 1 })
    }

    /// Natural-log probability of each line (its words then `</s>`, from a zero state), no dropout.
    func scoreLines(_ lines: [[TokenID]]) -> [Double] {
        var totals = [Double](repeating: 0, count: lines.count)
        var none = SeededGenerator(seed: 0)
        prepare(lines)
        drawDropout(probability: 0, generator: &none)
        forwardRecurrent()
        let b = batchLines
        decode(gradientScale: nil) { row, logProb in totals[row % b] += Double(logProb) }
        return totals
    }

    /// Global L2 norm of all gradients (a tied matrix counted once).
    func gradientNorm() -> Double {
        var sum = 0.0
        var partial: Float = 0
        for i in 0..<parameterCount {
            partial += gradients[i] * gradients[i]
            if i & 4095 == 4095 {
                sum += Double(partial)
                partial = 0
            }
        }
        return (sum + Double(partial)).squareRoot()
    }

    /// Scales gradients so their global norm is at most `maxNorm` (as `clip_grad_norm_`);
    /// returns the norm before clipping.
    @discardableResult
    func clipGradients(maxNorm: Double) -> Double {
        let norm = gradientNorm()
        if maxNorm > 0 && norm > maxNorm {
            let scale = Float(maxNorm / (norm + 1e-6))
            for i in 0..<parameterCount { gradients[i] *= scale }
        }
        return norm
    }
}
