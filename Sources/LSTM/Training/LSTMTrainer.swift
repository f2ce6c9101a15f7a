import Foundation
import LMCore

/// Trains an LSTM language model with Adam on length-bucketed line batches and writes the best
/// validation checkpoint as a PyTorch-compatible safetensors file.
///
/// Deterministic for a seed and an epoch limit (and a fixed BLAS thread count): the same inputs
/// give the same file bytes. Not thread-safe; one run at a time.
package final class LSTMTrainer {
    package let options: LSTMTrainingOptions
    package let vocabulary: Vocabulary
    package let train: TrainingCorpus
    package let valid: TrainingCorpus
    package var architecture: LSTMArchitecture { network.architecture }
    package var parameterCount: Int { network.parameterCount }
    let network: TrainingNetwork
    let optimizer: AdamOptimizer

    /// Builds the vocabulary from `trainText`, encodes both texts and initialises the model.
    /// - Throws: `LSTMTrainingError.badSetting` / `.tieSizeMismatch` for bad options or sizes.
    package init(options: LSTMTrainingOptions, trainText: String, validText: String) throws {
        try options.validate()
        let trainWords = TrainingCorpus.tokenizedLines(trainText)
        guard !trainWords.isEmpty else { throw LSTMTrainingError.emptyFile(path: "the training text") }
        let vocabulary = TrainingCorpus.buildVocabulary(trainWords, minCount: options.minCount)
        let architecture = options.architecture(vocabularySize: vocabulary.count)
        try architecture.validate()
        self.options = options
        self.vocabulary = vocabulary
        train = TrainingCorpus(lines: trainWords.map { $0.map { vocabulary.idOrUnknown($0) } })
        valid = TrainingCorpus(text: validText, vocabulary: vocabulary)
        guard !valid.lines.isEmpty else { throw LSTMTrainingError.emptyFile(path: "the validation text") }
        network = TrainingNetwork(architecture)
        network.initialize(seed: options.seed)
        network.workers = options.threads ?? BLAS.threads
        optimizer = AdamOptimizer(count: network.parameterCount, learningRate: Float(options.learningRate))
    }

    /// Reads the training and validation files, then `init(options:trainText:validText:)`.
    /// - Throws: `LSTMTrainingError` (unreadable or empty file, bad setting).
    package convenience init(options: LSTMTrainingOptions, trainPath: String, validPath: String) throws {
        try options.validate()
        try self.init(
            options: options, trainText: TrainingCorpus.readText(trainPath), validText: TrainingCorpus.readText(validPath))
    }

    /// Trains until the epoch or time limit, validating `evaluationsPerEpoch` times an epoch; each
    /// new best validation perplexity is written to `output` (and the vocabulary beside it).
    ///
    /// The learning rate is multiplied by `learningRateDecay` whenever validation does not improve.
    /// - Throws: `LSTMTrainingError.unwritableOutput` (checked before training starts) or `.diverged`.
    package func run(output: String, progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingSummary {
        try checkWritable(output)
        let o = options
        let epochLimit = o.epochs ?? (o.minutes == nil ? LSTMTrainingOptions.defaultEpochs : nil)
        let deadline = o.minutes.map { $0 * 60 }
        let clock = ContinuousClock()
        let start = clock.now
        func seconds(since instant: ContinuousClock.Instant) -> Double {
            let d = clock.now - instant
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var shuffle = SeededGenerator(seed: o.seed &+ 0x5EED)
        var dropout = SeededGenerator(seed: o.seed &+ 0xD409)
        let epochTokens = train.predictionCount
        var best = Double.infinity, last: Double? = nil
        var steps = 0, tokens = 0, trainingSeconds = 0.0
        var reportLoss = 0.0, reportTokens = 0
        var lastReport = clock.now
        var epoch = 0, epochFraction = 0.0, evaluatedAtStep = -1
        var stop = false

        func snapshot(_ event: TrainingProgress.Event) -> TrainingProgress {
            let rate = trainingSeconds > 0 ? Double(tokens) / trainingSeconds : 0
            var remaining: Double? = nil
            if let limit = deadline {
                remaining = max(0, limit - seconds(since: start))
            } else if let limit = epochLimit, rate > 0 {
                remaining = (Double(limit) - Double(epoch) - epochFraction) * Double(epochTokens) / rate
            }
            return TrainingProgress(
                event: event, epoch: epoch + 1, epochLimit: epochLimit, epochFraction: epochFraction,
                tokensPerSecond: rate, loss: reportTokens > 0 ? reportLoss / Double(reportTokens) : 0,
                lastValidationPerplexity: last, bestValidationPerplexity: best.isFinite ? best : nil,
                learningRate: Double(optimizer.learningRate), elapsed: seconds(since: start), remaining: remaining)
        }
        func evaluate(final: Bool = false) throws {
            evaluatedAtStep = steps
            let ppl = validationPerplexity()
            last = ppl
            let improved = ppl < best
            if improved {
                best = ppl
                try writeCheckpoint(to: output, validationPerplexity: ppl, tokensSeen: tokens)
            }
            progress(snapshot(.validated(perplexity: ppl, improved: improved)))
            if !improved && !final {
                optimizer.learningRate *= Float(o.learningRateDecay)
                progress(snapshot(.learningRateDecayed))
            }
        }

        while !stop && epochLimit.map({ epoch < $0 }) ?? true {
            let batches = train.batches(batchSize: o.batchSize, generator: &shuffle)
            let evaluateEvery = max(1, batches.count / o.evaluationsPerEpoch)
            var done = 0
            for (index, batch) in batches.enumerated() {
                if let limit = deadline, seconds(since: start) >= limit {
                    stop = true
                    break
                }
                let stepStart = clock.now
                let lines = batch.map { train.lines[$0] }
                let (loss, n) = network.computeGradients(lines, dropout: Float(o.dropout), generator: &dropout)
                guard loss.isFinite else { throw LSTMTrainingError.diverged(step: steps + 1) }
                network.clipGradients(maxNorm: o.clip)
                optimizer.update(network.parameters, gradients: network.gradients, workers: network.workers)
                trainingSeconds += seconds(since: stepStart)
                steps += 1
                tokens += n
                done += n
                reportLoss += loss
                reportTokens += n
                epochFraction = Double(done) / Double(epochTokens)
                if seconds(since: lastReport) >= 0.25 {
                    progress(snapshot(.training))
                    lastReport = clock.now
                    reportLoss = 0
                    reportTokens = 0
                }
                let lastBatch = index == batches.count - 1
                if (index + 1) % evaluateEvery == 0 && (index + 1) / evaluateEvery < o.evaluationsPerEpoch || lastBatch {
                    try evaluate()
                }
            }
            if !stop {
                epoch += 1
                epochFraction = 0
            }
        }
        if evaluatedAtStep != steps { try evaluate(final: true) }
        return TrainingSummary(
            bestValidationPerplexity: best, epochs: Double(epoch) + epochFraction, steps: steps, trainingTokens: tokens,
            trainingSeconds: trainingSeconds, totalSeconds: seconds(since: start), vocabularySize: vocabulary.count,
            parameterCount: network.parameterCount, finalLearningRate: Double(optimizer.learningRate))
    }

    /// Perplexity of the current weights on the validation text: exp(−Σ ln p / N), N counting
    /// every prediction (words, `<unk>` and `</s>`).
    package func validationPerplexity() -> Double {
        var loss = 0.0, count = 0
        var none = SeededGenerator(seed: 0)
        for batch in valid.evaluationBatches(batchSize: max(options.batchSize, 64)) {
            let (l, n) = network.loss(batch.map { valid.lines[$0] }, dropout: 0, generator: &none)
            loss += l
            count += n
        }
        return Foundation.exp(loss / Double(max(count, 1)))
    }

    /// Natural-log probability of each line under the current weights (no dropout).
    package func scoreLines(_ lines: [[TokenID]]) -> [Double] {
        stride(from: 0, to: lines.count, by: 64).flatMap { network.scoreLines(Array(lines[$0..<min($0 + 64, lines.count)])) }
    }

    /// Writes the current weights to `path` as safetensors, plus the `.vocab.txt` sidecar.
    /// - Throws: `LSTMTrainingError.unwritableOutput`.
    package func writeCheckpoint(to path: String, validationPerplexity: Double? = nil, tokensSeen: Int? = nil) throws {
        var metadata = TrainingCheckpoint.metadata(
            architecture: architecture, vocabulary: vocabulary.words, minCount: options.minCount)
        metadata["dropout"] = String(options.dropout)
        metadata["seed"] = String(options.seed)
        if let ppl = validationPerplexity { metadata["valid_ppl"] = String(format: "%.4f", ppl) }
        if let seen = tokensSeen { metadata["train_tokens_seen"] = String(seen) }
        try TrainingCheckpoint.write(network, metadata: metadata, to: path)
        try CheckpointWriter.writeVocabulary(vocabulary.words, to: CheckpointWriter.vocabularyPath(forModel: path))
    }

    /// Fails early, before minutes of training, when `path`'s directory cannot take the file.
    private func checkWritable(_ path: String) throws {
        let probe = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let reason = exists && isDirectory.boolValue ? "it is a directory" : "cannot create a file there"
            throw LSTMTrainingError.unwritableOutput(path: path, reason: reason)
        }
        try? FileManager.default.removeItem(atPath: probe)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw LSTMTrainingError.unwritableOutput(path: path, reason: "it is a directory")
        }
    }
}
