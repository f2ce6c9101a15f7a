import ArgumentParser
import Foundation
import LSTM

/// `lmserve train lstm`: trains an LSTM language model and writes PyTorch-compatible safetensors.
struct TrainLSTMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstm",
        abstract: "Train an LSTM language model (PyTorch nn.LSTM layout, safetensors output).",
        discussion: """
            One sentence a line, whitespace tokens, blank lines skipped. The vocabulary is </s>, <unk>, \
            then training words seen at least --min-count times. Each new best validation perplexity \
            overwrites --output (and MODEL.vocab.txt beside it); the learning rate is lowered \
            whenever validation does not improve. With both --epochs and --minutes the first limit \
            reached stops training (--minutes counts wall-clock time, validations included); with \
            neither, it trains \(LSTMTrainingOptions.defaultEpochs) epochs.
            """)

    @Option(help: "Training text.") var train: String
    @Option(help: "Validation text (perplexity, checkpoints, learning-rate decay).") var valid: String
    @Option(help: "Model file to write (.safetensors).") var output: String
    @Option(help: "Embedding size.") var emb = 256
    @Option(help: "Hidden size.") var hidden = 512
    @Option(help: "LSTM layers.") var layers = 2
    @Option(help: "Projection size (PyTorch proj_size; 0 = none).") var proj = 0
    @Flag(help: "Tie decoder and embedding weights (needs --emb equal to --hidden, or to --proj).") var tie = false
    @Option(help: "Dropout probability (embedding output, between layers, before the decoder).") var dropout = 0.0
    @Option(help: "Minimum training count for a word to enter the vocabulary.") var minCount = 2
    @Option(help: "Lines per batch.") var batch = 32
    @Option(help: "Adam learning rate.") var lr = 0.002
    @Option(help: "Maximum global gradient norm (0 = off).") var clip = 1.0
    @Option(help: "Learning-rate factor on a validation plateau.") var lrDecay = 0.5
    @Option(help: "Validations (possible checkpoints) per epoch.") var evalsPerEpoch = 4
    @Option(help: "Stop after this many epochs.") var epochs: Int?
    @Option(help: "Stop after this many minutes of training.") var minutes: Double?
    @Option(help: "Random seed (initialisation, batch order, dropout).") var seed: UInt64 = 1
    @Option(help: "Threads for BLAS and the element-wise work (default: OpenBLAS's choice).") var threads: Int?

    func run() throws {
        var o = LSTMTrainingOptions(embeddingSize: emb, hiddenSize: hidden, layers: layers, projectionSize: proj, tied: tie)
        o.dropout = dropout
        o.minCount = minCount
        o.batchSize = batch
        o.learningRate = lr
        o.clip = clip
        o.learningRateDecay = lrDecay
        o.evaluationsPerEpoch = evalsPerEpoch
        o.epochs = epochs
        o.minutes = minutes
        o.seed = seed
        o.threads = threads
        // OpenBLAS's thread count is process-wide: the command decides it, the trainer does not.
        if let threads { LSTMModel.blasThreads = threads }
        do {
            let trainer = try LSTMTrainer(options: o, trainPath: train, validPath: valid)
            let a = trainer.architecture
            printError(
                "vocabulary \(a.vocabularySize) · \(trainer.train.lines.count) training lines (\(trainer.train.predictionCount) predictions) · "
                    + "\(trainer.valid.lines.count) validation lines · \(trainer.parameterCount) parameters")
            let printer = TrainingProgressPrinter()
            let summary = try trainer.run(output: output) { printer.report($0) }
            printer.finish()
            printError(
                String(
                    format: "done: best validation perplexity %.2f after %.2f epochs (%d steps, %.1f min), %.0f training tokens/s; wrote %@",
                    summary.bestValidationPerplexity, summary.epochs, summary.steps, summary.totalSeconds / 60,
                    summary.tokensPerSecond, output))
        } catch let error as LSTMTrainingError {
            printError("error: \(error.description)")
            throw ExitCode.failure
        }
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
