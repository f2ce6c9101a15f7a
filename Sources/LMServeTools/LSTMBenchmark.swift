import Foundation
import LMCore
import LSTM

/// Throughput measurements of an LSTM model: scoring a long text at batch 1, and generation
/// steps (advance + next-token log-probs + sampling) at several batch sizes.
package struct LSTMBenchmark {
    /// One measured case.
    package struct Result: Sendable {
        package var name: String
        package var batch: Int
        package var tokens: Int
        /// Best of the repetitions, seconds.
        package var seconds: Double
        /// Of `seconds`, the time spent in the sampler (generation only).
        package var samplingSeconds: Double = 0
        package var tokensPerSecond: Double { Double(tokens) / seconds }
        /// Tokens/s counting only the model's time (advance + next-token log-probs).
        package var modelTokensPerSecond: Double { Double(tokens) / (seconds - samplingSeconds) }
    }

    package let model: LSTMModel

    package init(model: LSTMModel) { self.model = model }

    /// Scores `tokens` (ids) as one sequence from the start state; best time of `repetitions`.
    package func scoring(tokens: [TokenID], repetitions: Int) -> Result {
        let inputs = [model.startToken] + tokens.dropLast()
        var best = Double.infinity
        var sink: Float = 0
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            sink += model.logProbabilities(inputs: inputs, targets: tokens).reduce(0, +)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        precondition(sink.isFinite)
        return Result(name: "score", batch: 1, tokens: tokens.count, seconds: best)
    }

    /// Generates `steps` tokens for each of `batch` streams (temperature 1, seeded); best time of
    /// `repetitions`. Each step: `nextTokenLogProbs` for the batch, one `Sampler` draw per row,
    /// `advance` for the batch.
    package func generation(batch: Int, steps: Int, repetitions: Int) -> Result {
        let v = model.vocabulary.count
        var logProbs = [Float](repeating: 0, count: batch * v)
        var best = Double.infinity
        var bestSampling = 0.0
        for rep in 0..<max(1, repetitions) {
            var states = [LSTMModel.State](repeating: model.initialState(sentenceContext: true), count: batch)
            var samplers = (0..<batch).map {
                Sampler(parameters: SamplingParameters(), seed: UInt64(rep * 1000 + $0), excluded: [model.vocabulary.unknown])
            }
            var tokens = [TokenID](repeating: 0, count: batch)
            var sampling: UInt64 = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps {
                logProbs.withUnsafeMutableBufferPointer { out in
                    model.nextTokenLogProbs(states, into: out)
                    let sampleStart = DispatchTime.now().uptimeNanoseconds
                    for b in 0..<batch {
                        tokens[b] = samplers[b].sample(UnsafeBufferPointer(rebasing: out[(b * v)..<((b + 1) * v)]))
                    }
                    sampling += DispatchTime.now().uptimeNanoseconds - sampleStart
                }
                model.advance(&states, by: tokens)
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if elapsed < best {
                best = elapsed
                bestSampling = Double(sampling) / 1e9
            }
        }
        return Result(name: "generate", batch: batch, tokens: batch * steps, seconds: best, samplingSeconds: bestSampling)
    }

    /// The first `count` token ids of the non-blank lines of `text` (whitespace split), each
    /// line followed by `</s>`, as PyTorch's reference sees a text.
    package func tokens(of text: String, count: Int) -> [TokenID] {
        var ids: [TokenID] = []
        for line in Tokenizer.lines(Substring(text)) {
            let words = Tokenizer.whitespace.tokenize(line)
            if words.isEmpty { continue }
            for w in words { ids.append(model.vocabulary.idOrUnknown(w)) }
            ids.append(model.vocabulary.endOfSentence)
            if ids.count >= count { break }
        }
        return Array(ids.prefix(count))
    }

    /// GFLOP/s of one plain product the size of the decoder over `rows` rows
    /// ([rows, out] · [V, out]ᵀ), best of `repetitions`: what the machine gives BLAS right now.
    package func calibration(rows: Int, repetitions: Int) -> Double {
        let c = model.configuration
        let a = [Float](repeating: 0.01, count: rows * c.outputSize)
        var out = [Float](repeating: 0, count: rows * c.vocabularySize)
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            out.withUnsafeMutableBufferPointer { o in model.decoderProduct(a, rows: rows, into: o.baseAddress!) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(rows * c.outputSize * c.vocabularySize) / best / 1e9
    }
}
