import Foundation
import LMCore
@testable import LSTM

/// Paths and helpers shared by the LSTM tests.
enum TestSupport {
    /// The worktree root (three levels above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    static let reference = shared.appendingPathComponent("reference/pytorch")
    static let f32Model = reference.appendingPathComponent("kjv-lstm-2x512.safetensors").path
    static let f16Model = reference.appendingPathComponent("kjv-lstm-2x512.f16.safetensors").path
    static let testCorpus = shared.appendingPathComponent("corpora/kjv/test.txt").path

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lstm-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The non-blank lines of the test corpus, whitespace-tokenized.
    static func testSentences() throws -> [[Substring]] {
        let text = try String(contentsOfFile: testCorpus, encoding: .utf8)
        return Tokenizer.lines(Substring(text)).map { Tokenizer.whitespace.tokenize($0) }.filter { !$0.isEmpty }
    }
}

/// A small random LSTM LM in PyTorch's tensor layout, for tests.
struct TinyModel {
    var vocabulary: Int
    var embedding: Int
    var hidden: Int
    var projection: Int = 0
    var layers: Int
    var seed: UInt64 = 1
    var tensors: [String: (shape: [Int], values: [Float])] = [:]

    init(vocabulary: Int, embedding: Int, hidden: Int, projection: Int = 0, layers: Int, seed: UInt64 = 1) {
        self.vocabulary = vocabulary
        self.embedding = embedding
        self.hidden = hidden
        self.projection = projection
        self.layers = layers
        self.seed = seed
        var g = SeededGenerator(seed: seed)
        func random(_ shape: [Int], scale: Float) -> (shape: [Int], values: [Float]) {
            let n = shape.reduce(1, *)
            return (shape, (0..<n).map { _ in Float(g.nextUnit() * 2 - 1) * scale })
        }
        let out = projection > 0 ? projection : hidden
        tensors["embedding.weight"] = random([vocabulary, embedding], scale: 1)
        for k in 0..<layers {
            let input = k == 0 ? embedding : out
            tensors["lstm.weight_ih_l\(k)"] = random([4 * hidden, input], scale: 0.5)
            tensors["lstm.weight_hh_l\(k)"] = random([4 * hidden, out], scale: 0.5)
            tensors["lstm.bias_ih_l\(k)"] = random([4 * hidden], scale: 0.3)
            tensors["lstm.bias_hh_l\(k)"] = random([4 * hidden], scale: 0.3)
            if projection > 0 { tensors["lstm.weight_hr_l\(k)"] = random([projection, hidden], scale: 0.5) }
        }
        tensors["decoder.weight"] = random([vocabulary, out], scale: 1)
        tensors["decoder.bias"] = random([vocabulary], scale: 0.5)
    }

    var words: [String] { ["</s>", "<unk>"] + (2..<vocabulary).map { "w\($0)" } }

    func writer(dtype: SafetensorsDType = .f32, vocabInMetadata: Bool = true) -> SafetensorsWriter {
        var w = SafetensorsWriter()
        for (name, t) in tensors.sorted(by: { $0.key < $1.key }) { w.add(name, shape: t.shape, values: t.values, dtype: dtype) }
        if vocabInMetadata {
            let json = try! JSONSerialization.data(withJSONObject: words)
            w.metadata["vocab"] = String(decoding: json, as: UTF8.self)
        }
        w.metadata["bos_id"] = "0"
        w.metadata["eos_id"] = "0"
        w.metadata["unk_id"] = "1"
        return w
    }

    /// Natural-log probabilities of `targets` after `inputs`, by straightforward loops in Double.
    func naiveLogProbs(inputs: [Int], targets: [Int]) -> [Double] {
        let out = projection > 0 ? projection : hidden
        func t(_ name: String) -> [Double] { tensors[name]!.values.map(Double.init) }
        var h = [[Double]](repeating: [Double](repeating: 0, count: out), count: layers)
        var c = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: layers)
        let emb = t("embedding.weight")
        var result: [Double] = []
        func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        for (step, id) in inputs.enumerated() {
            var x = Array(emb[(id * embedding)..<((id + 1) * embedding)])
            for k in 0..<layers {
                let wih = t("lstm.weight_ih_l\(k)"), whh = t("lstm.weight_hh_l\(k)")
                let bih = t("lstm.bias_ih_l\(k)"), bhh = t("lstm.bias_hh_l\(k)")
                var gates = [Double](repeating: 0, count: 4 * hidden)
                for r in 0..<(4 * hidden) {
                    var s = bih[r] + bhh[r]
                    for j in 0..<x.count { s += wih[r * x.count + j] * x[j] }
                    for j in 0..<out { s += whh[r * out + j] * h[k][j] }
                    gates[r] = s
                }
                var raw = [Double](repeating: 0, count: hidden)
                for j in 0..<hidden {
                    let i = sigmoid(gates[j]), f = sigmoid(gates[hidden + j])
                    let g = Foundation.tanh(gates[2 * hidden + j]), o = sigmoid(gates[3 * hidden + j])
                    c[k][j] = f * c[k][j] + i * g
                    raw[j] = o * Foundation.tanh(c[k][j])
                }
                if projection > 0 {
                    let whr = t("lstm.weight_hr_l\(k)")
                    h[k] = (0..<projection).map { r in (0..<hidden).reduce(0.0) { $0 + whr[r * hidden + $1] * raw[$1] } }
                } else {
                    h[k] = raw
                }
                x = h[k]
            }
            let dec = t("decoder.weight"), bias = t("decoder.bias")
            let logits = (0..<vocabulary).map { r in (0..<out).reduce(bias[r]) { $0 + dec[r * out + $1] * x[$1] } }
            let m = logits.max()!
            let lse = m + Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp($1 - m) })
            result.append(logits[targets[step]] - lse)
        }
        return result
    }
}
