import Foundation
import LMCore
import Logging
import SchedulerTesting
import Testing
@testable import Batching

/// Every test runs on a manual clock: time passes only where a test advances it, and tests wait
/// for the engine through the model's gate and the scheduler's hooks, never for wall time.
@Suite(.timeLimit(.minutes(1))) struct BatchSchedulerTests {
    let logger = Logger(label: "test")
    let sentences: [[Substring]] = [["a", "b"], ["b", "zz", "a", "a"], [], ["a"], ["b", "b", "b", "a", "b", "a"]]

    /// Runs `body` with a scheduler for `model`; then opens the model's gate and shuts the
    /// scheduler down, also when `body` throws.
    func withScheduler(
        _ model: ToyModel = ToyModel(), _ configuration: BatchingConfiguration = .init(), clock: ManualClock = ManualClock(),
        hooks: SchedulerHooks = SchedulerHooks(), _ body: (BatchScheduler<ToyModel>) async throws -> Void
    ) async throws {
        let scheduler = BatchScheduler(model: model, configuration: configuration, clock: clock, hooks: hooks, logger: logger)
        do {
            try await body(scheduler)
        } catch {
            model.gate?.open()
            await scheduler.shutdown()
            throw error
        }
        model.gate?.open()
        await scheduler.shutdown()
    }

    func expected(_ model: ToyModel, _ s: [[Substring]], context: Bool = true) -> [[TokenScore]] {
        s.map { model.score(sentence: $0, sentenceContext: context) }
    }

    @Test(arguments: [BatchingConfiguration.ScoringMode.stepwise, .wholeSentence], [1, 3, 64])
    func scoringMatchesTheModel(mode: BatchingConfiguration.ScoringMode, maxBatch: Int) async throws {
        let model = ToyModel()
        try await withScheduler(model, .init(maxBatchSize: maxBatch, scoringChunkSize: 2, scoringMode: mode)) { scheduler in
            for context in [true, false] {
                let result = try await scheduler.score(ScoringRequest(sentences: sentences, sentenceContext: context))
                let want = expected(model, sentences, context: context)
                #expect(result.sentences.map { $0.map(\.id) } == want.map { $0.map(\.id) })
                #expect(result.sentences.map { $0.map(\.isOOV) } == want.map { $0.map(\.isOOV) })
                for (got, exp) in zip(result.sentences.joined(), want.joined()) {
                    #expect(abs(got.log10Prob - exp.log10Prob) < 1e-6)
                }
                #expect(result.timing.batchSize >= 1 && result.timing.batchSize <= max(maxBatch, 1))
            }
        }
    }

    @Test func concurrentScoringEqualsSequential() async throws {
        try await withScheduler(ToyModel(), .init(maxBatchSize: 16, scoringChunkSize: 3)) { scheduler in
            let requests: [[[Substring]]] = (0..<64).map { i in
                (0..<(1 + i % 4)).map { j in (0..<((i + j) % 7)).map { k in (i + j + k) % 3 == 0 ? "a" : "b" } }
            }
            var sequential: [[[Float]]] = []
            for r in requests {
                sequential.append(try await scheduler.score(ScoringRequest(sentences: r)).sentences.map { $0.map(\.log10Prob) })
            }
            let concurrent = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
                for (i, r) in requests.enumerated() {
                    group.addTask { (i, try await scheduler.score(ScoringRequest(sentences: r)).sentences.map { $0.map(\.log10Prob) }) }
                }
                var out = [[[Float]]](repeating: [], count: requests.count)
                var answered = 0
                for try await (i, s) in group {
                    out[i] = s
                    answered += 1
                }
                #expect(answered == requests.count)
                return out
            }
            #expect(concurrent == sequential)
        }
    }

    func collect(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> ([TokenID], FinishReason?) {
        var tokens: [TokenID] = []
        var reason: FinishReason?
        for try await event in stream {
            switch event {
            case .token(let t): tokens.append(t.id)
            case .finished(let r, _): reason = r
            }
        }
        return (tokens, reason)
    }

    func greedy(maxTokens: Int, timeout: Duration? = nil) -> GenerationRequest {
        GenerationRequest(prompt: [], maxTokens: maxTokens, sampling: .init(temperature: 0), seed: 0, timeout: timeout)
    }

    @Test func generationIsRepeatableAndEqualsSequentialRuns() async throws {
        let model = ToyModel()
        func request(_ seed: UInt64) -> GenerationRequest {
            GenerationRequest(prompt: [2, 3], maxTokens: 12, sampling: .init(temperature: 1), seed: seed, excluded: [1, 4])
        }
        try await withScheduler(model, .init(maxBatchSize: 32)) { batched in
            try await withScheduler(model, .init(maxBatchSize: 1)) { single in
                var sequential: [[TokenID]] = []
                for seed in 0..<40 { sequential.append(try await collect(try single.generate(request(UInt64(seed)))).0) }
                let concurrent = try await withThrowingTaskGroup(of: (Int, [TokenID]).self) { group in
                    for seed in 0..<40 { group.addTask { (seed, try await self.collect(try batched.generate(request(UInt64(seed)))).0) } }
                    var out = [[TokenID]](repeating: [], count: 40)
                    for try await (i, t) in group { out[i] = t }
                    return out
                }
                #expect(concurrent == sequential)
                #expect(Set(sequential.map { $0.count }).count > 1, "some choices stop at </s>, some run to max_tokens")
                #expect(!sequential.joined().contains(1) && !sequential.joined().contains(4))
            }
        }
    }

    @Test func greedyStopsAtEndOfSentenceOrLength() async throws {
        try await withScheduler { scheduler in
            // Greedy from <s>: a (0.6), b (0.5), </s> (0.4) → stop.
            let (tokens, reason) = try await collect(try scheduler.generate(greedy(maxTokens: 10)))
            #expect(tokens == [2, 3])
            #expect(reason == .stop)
            let (short, why) = try await collect(try scheduler.generate(greedy(maxTokens: 1)))
            #expect(short == [2])
            #expect(why == .length)
        }
    }

    @Test func logprobsAreTheModelsValues() async throws {
        try await withScheduler { scheduler in
            let stream = try scheduler.generate(
                GenerationRequest(prompt: [3], maxTokens: 1, sampling: .init(temperature: 0), seed: 0, topLogprobs: 2))
            for try await event in stream {
                if case .token(let t) = event {
                    #expect(t.id == 0 || t.id == 2)  // after b: </s> 0.4 is argmax but ends; ...
                    #expect(abs(t.logProb - Float(log(ToyModel.table[3][Int(t.id)]))) < 1e-6)
                    #expect(t.alternatives.map(\.id) == [0, 2])
                }
            }
        }
    }

    @Test func fullQueueRefusesAtOnceAndFreesItsSlot() async throws {
        let gate = Gate()
        try await withScheduler(ToyModel(gate: gate), .init(maxBatchSize: 1, maxQueueSize: 1)) { scheduler in
            let running = try scheduler.generate(greedy(maxTokens: 1))
            await gate.arrivals.until { $0 >= 1 }  // the engine holds the first, inside its step
            // The engine holds the first; one more may wait; the third is refused.
            let waiting = try scheduler.generate(greedy(maxTokens: 1))
            #expect(throws: BatchingError.queueFull(limit: 1)) {
                _ = try scheduler.generate(greedy(maxTokens: 1))
            }
            gate.signal(2)
            #expect(try await collect(running).1 == .length)
            #expect(try await collect(waiting).1 == .length)
            // The slot is free again.
            gate.signal()
            let next = try scheduler.generate(greedy(maxTokens: 1))
            #expect(try await collect(next).1 == .length)
        }
    }

    @Test func timeoutWhileQueuedAndWhileRunning() async throws {
        let gate = Gate()
        let clock = ManualClock()
        let depth = Observed(0)
        let hooks = SchedulerHooks(queueDepthChanged: { d in depth.set(d) })
        try await withScheduler(ToyModel(gate: gate), .init(maxBatchSize: 1), clock: clock, hooks: hooks) { scheduler in
            // Occupies the engine, inside its first step until the gate lets it through.
            let blocker = try scheduler.generate(greedy(maxTokens: 3, timeout: .milliseconds(50)))
            await gate.arrivals.until { $0 >= 1 }
            let queued = Task { try await scheduler.score(ScoringRequest(sentences: [["a"]], timeout: .milliseconds(20))) }
            await depth.until { $0 == 1 }
            // Its deadline passes while it waits; the engine fails it after the step it is in.
            clock.advance(by: .milliseconds(20))
            gate.signal()
            await #expect(throws: BatchingError.timedOut(milliseconds: 20)) {
                _ = try await queued.value
            }
            // The blocker's deadline passes while it runs: it ends after its current step.
            clock.advance(by: .milliseconds(40))
            gate.signal()
            let (_, reason) = try await collect(blocker)
            #expect(reason == .timeout)
            // The slot is free: the next request runs.
            gate.signal(10)
            let result = try await scheduler.score(ScoringRequest(sentences: [["a"]]))
            #expect(result.sentences.count == 1)
        }
    }

    @Test func cancellationFreesTheSlot() async throws {
        let gate = Gate()
        try await withScheduler(ToyModel(gate: gate), .init(maxBatchSize: 1, scoringChunkSize: 1)) { scheduler in
            let task = Task { try await scheduler.score(ScoringRequest(sentences: [["a", "b", "a", "b"]])) }
            await gate.arrivals.until { $0 >= 1 }  // admitted, inside its first step
            task.cancel()
            gate.signal()
            await #expect(throws: CancellationError.self) { try await task.value }
            gate.signal(10)
            let result = try await scheduler.score(ScoringRequest(sentences: [["b"]]))
            #expect(result.sentences[0].count == 2)
            // A generation stream dropped by its consumer is cancelled too.
            var stream: AsyncThrowingStream<GenerationEvent, any Error>? = try scheduler.generate(
                GenerationRequest(prompt: [], maxTokens: 1000, sampling: .init(temperature: 1), seed: 1, excluded: [0]))
            stream = nil
            _ = stream
            gate.signal(20)
            let after = try await scheduler.score(ScoringRequest(sentences: [["a"]]))
            #expect(after.sentences.count == 1)
        }
    }

    @Test func queueSizeZeroMeansNoLimit() async throws {
        try await withScheduler(ToyModel(), .init(maxBatchSize: 1, maxQueueSize: 0)) { scheduler in
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await scheduler.score(ScoringRequest(sentences: [["a", "b"]])).sentences.count } }
                return try await group.reduce(0, +)
            }
            #expect(results == 20)
        }
    }

    /// Shutdown while a job with more sentences than the batch is partly admitted: it ends with
    /// exactly one outcome (no double resume), and shutdown returns.
    @Test func shutdownWithAPartlyAdmittedJob() async throws {
        let gate = Gate()
        let model = ToyModel(gate: gate)
        let depth = Observed<Int?>(nil)
        let scheduler = BatchScheduler(
            model: model, configuration: .init(maxBatchSize: 2, scoringChunkSize: 1), clock: ManualClock(),
            hooks: SchedulerHooks(queueDepthChanged: { d in depth.set(d) }), logger: logger)
        let task = Task { try await scheduler.score(ScoringRequest(sentences: Array(repeating: ["a", "b", "a"], count: 6))) }
        // Two of the six sentences are admitted and inside their first step; four still wait.
        await gate.arrivals.until { $0 >= 1 }
        await depth.until { $0 == 1 }
        let done = Task.detached { await scheduler.shutdown() }
        // Shutdown has taken the queue (it reports it empty) before the step goes on.
        await depth.until { $0 == 0 }
        gate.open()
        await done.value
        do {
            let result = try await task.value
            #expect(result.sentences.count == 6)
        } catch {
            #expect(error is CancellationError || error as? BatchingError == .shuttingDown)
        }
    }

    @Test func shutdownRefusesNewWork() async throws {
        let scheduler = BatchScheduler(model: ToyModel(), configuration: .init(), clock: ManualClock(), logger: logger)
        await scheduler.shutdown()
        await #expect(throws: BatchingError.shuttingDown) {
            _ = try await scheduler.score(ScoringRequest(sentences: [["a"]]))
        }
    }

    @Test func queueDelayGathersCompany() async throws {
        try await withScheduler(ToyModel(), .init(maxBatchSize: 8, maxQueueDelayMicroseconds: 200_000)) { scheduler in
            let batches = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await scheduler.score(ScoringRequest(sentences: [["a", "b"]])).timing.batchSize } }
                var sizes: [Int] = []
                for try await s in group { sizes.append(s) }
                return sizes
            }
            // All eight arrive within 200 ms of the first (the manual clock does not move), so
            // they share one batch.
            #expect(batches.allSatisfy { $0 == 8 })
        }
    }
}
