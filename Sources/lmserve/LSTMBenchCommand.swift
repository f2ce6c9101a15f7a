import ArgumentParser
import Foundation
import LMServeTools
import LSTM
import Logging

/// `lmserve bench-lstm`: tokens/s of an LSTM model for scoring and generation.
struct LSTMBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-lstm",
        abstract: "Measure LSTM scoring and generation throughput (tokens/s, GFLOP/s).")

    @Option(help: "The model (.safetensors).")
    var model: String = "../shared/reference/pytorch/kjv-lstm-2x512.safetensors"

    @Option(help: "Text whose first --score-tokens tokens are scored as one sequence.")
    var text: String = "../shared/corpora/kjv/test.txt"

    @Option(help: "Tokens scored at batch 1.")
    var scoreTokens: Int = 1000

    @Option(help: "Comma-separated generation batch sizes.")
    var batches: String = "1,8,32,64"

    @Option(help: "Generation steps per batch size.")
    var steps: Int = 50

    @Option(help: "Repetitions; the best time is reported.")
    var repetitions: Int = 3

    @Option(help: "OpenBLAS threads (0 = leave OpenBLAS's default).")
    var threads: Int = 0

    @Option(help: "Matrix-multiply peak of the machine, GFLOP/s, for the ratio column.")
    var peak: Double = 245

    func run() throws {
        if threads > 0 { LSTMModel.blasThreads = threads }
        let lm = try LSTMModel.load(path: model, logger: Logger(label: "lmserve.bench-lstm"))
        let bench = LSTMBenchmark(model: lm)
        let flops = Double(lm.configuration.flopsPerToken)
        print("model \(model): \(lm.configuration), \(String(format: "%.1f", flops / 1e6)) MFLOP/token, OpenBLAS threads \(LSTMModel.blasThreads)")
        print("compute: \(ComputeBackend.current.summary), cpu \(Kernels.cpuModel) (\(Kernels.cpuFeatures.joined(separator: ",")))")
        if let note = Kernels.note { print("note: \(note)") }
        let now = bench.calibration(rows: 1000, repetitions: repetitions)
        print(String(format: "plain sgemm [1000×%d]·[%d×%d] now: %.1f GFLOP/s (%.1f%% of the %.0f GFLOP/s peak)",
                     lm.configuration.outputSize, lm.configuration.outputSize, lm.configuration.vocabularySize,
                     now, 100 * now / peak, peak))
        func report(_ r: LSTMBenchmark.Result) {
            let gflops = r.tokensPerSecond * flops / 1e9
            var line = String(format: "%-8@ batch %2d  %5d tokens  %7.4f s  %8.1f tokens/s  %6.1f GFLOP/s  %5.1f%% of peak",
                              r.name as NSString, r.batch, r.tokens, r.seconds, r.tokensPerSecond, gflops, 100 * gflops / peak)
            if r.samplingSeconds > 0 {
                line += String(format: "  (sampling %4.1f%% of the time; model alone %8.1f tokens/s, %6.1f GFLOP/s)",
                               100 * r.samplingSeconds / r.seconds, r.modelTokensPerSecond, r.modelTokensPerSecond * flops / 1e9)
            }
            print(line)
        }
        let corpus = try String(contentsOfFile: text, encoding: .utf8)
        let tokens = bench.tokens(of: corpus, count: scoreTokens)
        if scoreTokens > 0 { report(bench.scoring(tokens: tokens, repetitions: repetitions)) }
        for b in batches.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) where b > 0 {
            report(bench.generation(batch: b, steps: steps, repetitions: repetitions))
        }
    }
}
