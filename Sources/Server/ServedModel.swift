import Batching
import Foundation
import LMCore
import Logging
import Synchronization

/// What handlers need of a model's scheduler, with the model type erased.
protocol ModelEngine: Sendable {
    func score(_ request: ScoringRequest) async throws -> ScoringResult
    func generate(_ request: GenerationRequest) throws -> AsyncThrowingStream<GenerationEvent, any Error>
    func shutdown() async
    func cutOff()
    var queueDepth: Int { get }
}

extension BatchScheduler: ModelEngine {}

/// One loaded version of a model as the server serves it: its facts, tokenizer, defaults and
/// its own scheduler.
///
/// Handlers reach the model only through `engine`, the model's `BatchScheduler`, and only while
/// they hold a lease (`ModelRegistry.lease(named:)`): a version that is unloaded or replaced
/// waits for its leases to end before its scheduler stops and the model is freed.
package final class ServedModel: Sendable {
    package let name: String
    /// The settings it was loaded with (path resolved).
    package let spec: ServerConfiguration.Model
    package let version: ModelVersion
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
    private let leases = Mutex(Leases())

    private struct Leases {
        var held = 0
        var retired = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    package init<M: LanguageModel>(
        spec: ServerConfiguration.Model, version: ModelVersion, model: M, tokenizer: Tokenizer,
        batching: BatchingConfiguration, hooks: SchedulerHooks, loadSeconds: Double, logger: Logger,
        clock: any SchedulerClock = SystemSchedulerClock()
    ) {
        self.name = spec.name
        self.spec = spec
        self.version = version
        self.description = model.description
        self.vocabulary = model.vocabulary
        self.tokenizer = tokenizer
        self.defaults = spec.defaults
        self.batching = batching
        self.loadSeconds = loadSeconds
        self.loadedAt = Date()
        self.model = model
        self.engine = BatchScheduler(model: model, configuration: batching, clock: clock, hooks: hooks, logger: logger)
    }

    /// A model built in memory rather than loaded from a file (tests, tools): its version is
    /// the hash of its name, with no file time.
    package convenience init<M: LanguageModel>(
        name: String, model: M, tokenizer: Tokenizer, defaults: ServerConfiguration.CompletionDefaults,
        batching: BatchingConfiguration, hooks: SchedulerHooks, loadSeconds: Double, logger: Logger,
        clock: any SchedulerClock = SystemSchedulerClock()
    ) {
        var spec = ServerConfiguration.Model(name: name, path: model.description.path, tokenizer: tokenizer)
        spec.defaults = defaults
        self.init(
            spec: spec, version: ModelVersion(sha256: ModelVersion.sha256(of: name), modified: 0, size: 0), model: model,
            tokenizer: tokenizer, batching: batching, hooks: hooks, loadSeconds: loadSeconds, logger: logger, clock: clock)
    }

    /// Takes a lease; the registry calls it under its lock, so no lease starts after `retire()`.
    func acquire() { leases.withLock { $0.held += 1 } }

    /// Ends a lease taken by `acquire()`.
    func release() {
        let waiters: [CheckedContinuation<Void, Never>] = leases.withLock { l in
            l.held -= 1
            guard l.held == 0, l.retired else { return [] }
            defer { l.waiters = [] }
            return l.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Leases held now (requests using this version).
    package var inFlight: Int { leases.withLock { $0.held } }

    /// Once the registry no longer hands this version out: waits for every lease to end, then
    /// stops the scheduler (nothing is left in it). The model is freed when the last reference
    /// goes.
    func retire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done: Bool = leases.withLock { l in
                l.retired = true
                if l.held == 0 { return true }
                l.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
        await engine.shutdown()
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
