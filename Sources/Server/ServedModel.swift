import Batching
import Foundation
import LMCore
import Logging

/// What handlers need of a model's scheduler, with the model type erased.
protocol ModelEngine: Sendable {
    func score(_ request: ScoringRequest) async throws -> ScoringResult
    func generate(_ request: GenerationRequest) throws -> AsyncThrowingStream<GenerationEvent, any Error>
    func shutdown() async
    func cutOff()
    var queueDepth: Int { get }
}

extension BatchScheduler: ModelEngine {}

/// A loaded model as the server serves it: its facts, tokenizer, defaults and scheduler.
///
/// Handlers reach the model only through `engine`, the model's `BatchScheduler`.
package final class ServedModel: Sendable {
    package let name: String
    package let description: ModelDescription
    package let vocabulary: Vocabulary
    package let tokenizer: Tokenizer
    package let defaults: ServerConfiguration.CompletionDefaults
    package let batching: BatchingConfiguration
    package let loadSeconds: Double
    package let loadedAt: Date
    /// The loaded model itself, for building ensembles of it (requests go through `engine`).
    package let model: any LanguageModel
    let engine: any ModelEngine

    package init<M: LanguageModel>(
        name: String, model: M, tokenizer: Tokenizer, defaults: ServerConfiguration.CompletionDefaults,
        batching: BatchingConfiguration, hooks: SchedulerHooks, loadSeconds: Double, logger: Logger,
        clock: any SchedulerClock = SystemSchedulerClock()
    ) {
        self.name = name
        self.description = model.description
        self.vocabulary = model.vocabulary
        self.tokenizer = tokenizer
        self.defaults = defaults
        self.batching = batching
        self.loadSeconds = loadSeconds
        self.loadedAt = Date()
        self.model = model
        self.engine = BatchScheduler(model: model, configuration: batching, clock: clock, hooks: hooks, logger: logger)
    }

    /// Token ids of `words` for feeding as a prompt (unknown words become `<unk>`).
    func ids(_ words: [Substring]) -> [TokenID] { words.map { vocabulary.idOrUnknown($0) } }

    /// Ids generation never draws: `<s>` and `<unk>`.
    var excludedFromGeneration: Set<TokenID> {
        var s: Set<TokenID> = [vocabulary.unknown]
        if let bos = vocabulary.beginOfSentence, bos != vocabulary.endOfSentence { s.insert(bos) }
        return s
    }
}
