/// How a model's scheduler forms batches (names as Triton users know them).
package struct BatchingConfiguration: Sendable, Equatable, Codable {
    /// How scoring requests are executed.
    package enum ScoringMode: String, Sendable, Codable {
        /// Each sentence is scored whole by `LanguageModel.score(sentence:)`, batches of sentences
        /// spread over a worker pool (N-gram models: cheap per token, exact n-gram lengths).
        case wholeSentence = "whole_sentence"
        /// Sentences join the step batch and consume `scoringChunkSize` tokens a step (LSTM).
        case stepwise
    }

    /// Most sequences (scored sentences or generated choices) in one step.
    package var maxBatchSize: Int = 64
    /// How long the first request to reach an idle engine may wait for company, in µs.
    package var maxQueueDelayMicroseconds: Int = 0
    /// Most requests waiting for admission; beyond it requests are refused at once (503).
    /// 0 = no limit (as in Triton).
    package var maxQueueSize: Int = 1024
    /// Tokens a scored sentence consumes per step in `stepwise` mode.
    package var scoringChunkSize: Int = 16
    package var scoringMode: ScoringMode = .stepwise
    /// Threads that score sentences in `wholeSentence` mode. The server gives the model the
    /// same count for its own steps (`ServerConfiguration.batching`).
    package var workerCount: Int = 2
    /// Admit waiting work by token-count fairness across tenants (the Virtual Token Counter);
    /// off: first come, first served. With one tenant both are the same order.
    package var fairAdmission = true
    /// Weights of tenants under fair admission (default 1).
    package var tenantWeights: [String: Double] = [:]

    package init(
        maxBatchSize: Int = 64, maxQueueDelayMicroseconds: Int = 0, maxQueueSize: Int = 1024,
        scoringChunkSize: Int = 16, scoringMode: ScoringMode = .stepwise, workerCount: Int = 2
    ) {
        self.maxBatchSize = maxBatchSize
        self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
        self.maxQueueSize = maxQueueSize
        self.scoringChunkSize = scoringChunkSize
        self.scoringMode = scoringMode
        self.workerCount = workerCount
    }

    /// Checks every knob; returns a message naming the first bad one.
    package func validationError() -> String? {
        if maxBatchSize < 1 { return "max_batch_size must be at least 1 (got \(maxBatchSize))" }
        if maxQueueDelayMicroseconds < 0 { return "max_queue_delay_us must not be negative" }
        if maxQueueSize < 0 { return "max_queue_size must not be negative" }
        if scoringChunkSize < 1 { return "scoring_chunk_size must be at least 1" }
        if workerCount < 1 { return "workers must be at least 1" }
        return nil
    }
}
