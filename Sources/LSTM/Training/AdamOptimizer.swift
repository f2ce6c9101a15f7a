import Foundation

/// Adam (Kingma & Ba) over a flat parameter buffer, as `torch.optim.Adam` with no weight decay:
/// m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², θ ← θ − lr · m̂ / (√v̂ + ε).
final class AdamOptimizer {
    var learningRate: Float
    let beta1: Float = 0.9
    let beta2: Float = 0.999
    let epsilon: Float = 1e-8
    private(set) var step = 0
    private let count: Int
    private let m: UnsafeMutablePointer<Float>
    private let v: UnsafeMutablePointer<Float>

    init(count: Int, learningRate: Float) {
        self.count = count
        self.learningRate = learningRate
        m = .allocate(capacity: max(count, 1))
        m.initialize(repeating: 0, count: max(count, 1))
        v = .allocate(capacity: max(count, 1))
        v.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        m.deallocate()
        v.deallocate()
    }

    /// One update of `parameters` from `gradients` (both `count` floats), split over `workers` threads.
    func update(_ parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, workers: Int = 1) {
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        let correction1 = 1 - Float(pow(Double(b1), Double(step)))
        let correction2 = 1 - Float(pow(Double(b2), Double(step)))
        // PyTorch's form: θ −= (lr / c1) · m / (√v / √c2 + ε).
        let stepSize = learningRate / correction1
        let rootCorrection2 = correction2.squareRoot()
        let m = m, v = v
        TrainingParallel.run(count: count, workers: workers) { range in
            for i in range {
                let g = gradients[i]
                let mi = b1 * m[i] + (1 - b1) * g
                let vi = b2 * v[i] + (1 - b2) * g * g
                m[i] = mi
                v[i] = vi
                parameters[i] -= stepSize * mi / (vi.squareRoot() / rootCorrection2 + eps)
            }
        }
    }
}
