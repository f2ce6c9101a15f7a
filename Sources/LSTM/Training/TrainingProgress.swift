/// A snapshot of a training run, handed to the caller's progress callback.
package struct TrainingProgress: Sendable {
    package enum Event: Sendable, Equatable {
        /// Some batches were trained since the last report.
        case training
        /// A validation pass finished; `improved` means a checkpoint was written.
        case validated(perplexity: Double, improved: Bool)
        /// The learning rate was lowered after a validation plateau.
        case learningRateDecayed
    }

    package var event: Event
    /// 1-based epoch in progress.
    package var epoch: Int
    /// The epoch limit, when there is one.
    package var epochLimit: Int?
    /// Share of the current epoch done, 0...1.
    package var epochFraction: Double
    /// Training predictions per second of training time (validation excluded).
    package var tokensPerSecond: Double
    /// Mean training loss (nats per prediction) since the previous report.
    package var loss: Double
    package var lastValidationPerplexity: Double?
    package var bestValidationPerplexity: Double?
    package var learningRate: Double
    /// Seconds since training started.
    package var elapsed: Double
    /// Estimated seconds left, when it can be estimated.
    package var remaining: Double?
}

/// The outcome of a finished run.
package struct TrainingSummary: Sendable {
    /// Best validation perplexity (the checkpointed model's), exp(−Σ ln p / N).
    package var bestValidationPerplexity: Double
    /// Passes over the training text, fractional when stopped mid-epoch.
    package var epochs: Double
    package var steps: Int
    /// Training predictions processed.
    package var trainingTokens: Int
    /// Seconds of training (validation excluded) and of the whole run.
    package var trainingSeconds: Double
    package var totalSeconds: Double
    package var tokensPerSecond: Double { trainingSeconds > 0 ? Double(trainingTokens) / trainingSeconds : 0 }
    package var vocabularySize: Int
    package var parameterCount: Int
    package var finalLearningRate: Double
}
