import Foundation
import LMCore
import Logging
import Testing
@testable import Batching

@Suite struct BatchSchedulerTests {
    let logger = Logger(label: "test")
    let sentences: [[Substring]] = [["a", "b"], ["b", "zz", "a", "a"], [], ["a"], ["b", "b", "b", "a", "b", "a"]]

    func expected(_ model: ToyModel, _ s: [[Substring]], context: Bool = true) -> [[TokenScore]] {
        s.map { model.score(sentence: $0, sentenceContext: context) }
    }

    @Test(arguments: [BatchingConfiguration.ScoringMode.stepwise, .wholeSentence], [1, 3, 64])
    func scoringMatchesTheModel(mode: BatchingConfiguration.ScoringMode, maxBatch: Int) async throws {
        let model = ToyModel()
        let scheduler = BatchScheduler(
            model: model, configuration: .init(maxBatchSize: maxBatch, scoringChunkSize: 2, scoringMode: mode), logger: logger)
        defer { scheduler.shutdown() }
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

    @Test func concurrentScoringEqualsSequential() async throws {
        let model = ToyModel()
        let scheduler = BatchScheduler(model: model, configuration: .init(maxBatchSize: 16, scoringChunkSize: 3), logger: logger)
        defer { scheduler.shutdown() }
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

    @Test func generationIsRepeatableAndEqualsSequentialRuns() async throws {
        let model = ToyModel()
        let batched = BatchScheduler(model: model, configuration: .init(maxBatchSize: 32), logger: logger)
        let single = BatchScheduler(model: model, configuration: .init(maxBatchSize: 1), logger: logger)
        defer {
            batched.shutdown()
            single.shutdown()
        }
        func request(_ seed: UInt64) -> GenerationRequest {
            GenerationRequest(prompt: [2, 3], maxTokens: 12, sampling: .init(temperature: 1), seed: seed, excluded: [1, 4])
        }
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

    @Test func greedyStopsAtEndOfSentenceOrLength() async throws {
        let scheduler = BatchScheduler(model: ToyModel(), configuration: .init(), logger: logger)
        defer { scheduler.shutdown() }
        // Greedy from <s>: a (0.6), b (0.5), </s> (0.4) → stop.
        let (tokens, reason) = try await collect(
            try scheduler.generate(GenerationRequest(prompt: [], maxTokens: 10, sampling: .init(temperature: 0), seed: 0)))
        #expect(tokens == [2, 3])
        #expect(reason == .stop)
        let (short, why) = try await collect(
            try scheduler.generate(GenerationRequest(prompt: [], maxTokens: 1, sampling: .init(temperature: 0), seed: 0)))
        #expect(short == [2])
        #expect(why == .length)
    }

    @Test func logprobsAreTheModelsValues() async throws {
        let scheduler = BatchScheduler(model: ToyModel(), configuration: .init(), logger: logger)
        defer { scheduler.shutdown() }
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

    @Test func fullQueueRefusesAtOnceAndFreesItsSlot() async throws {
        let gate = DispatchSemaphore(value: 0)
        let model = ToyModel(gate: gate)
        let scheduler = BatchScheduler(model: model, configuration: .init(maxBatchSize: 1, maxQueueSize: 1), logger: logger)
        defer {
            for _ in 0..<100 { gate.signal() }
            scheduler.shutdown()
        }
        let running = try scheduler.generate(GenerationRequest(prompt: [], maxTokens: 1, sampling: .init(temperature: 0), seed: 0))
        while model.steps == 0 && scheduler.queueDepth == 1 { try await Task.sleep(for: .milliseconds(5)) }
        // The engine holds the first; one more may wait; the third is refused.
        let waiting = try scheduler.generate(GenerationRequest(prompt: [], maxTokens: 1, sampling: .init(temperature: 0), seed: 0))
        #expect(throws: BatchingError.queueFull(limit: 1)) {
            _ = try scheduler.generate(GenerationRequest(prompt: [], maxTokens: 1, sampling: .init(temperature: 0), seed: 0))
        }
        gate.signal()
        gate.signal()
        #expect(try await collect(running).1 == .length)
        #expect(try await collect(waiting).1 == .length)
        // The slot is free again.
        gate.signal()
        let next = try scheduler.generate(GenerationRequest(prompt: [], maxTokens: 1, sampling: .init(temperature: 0), seed: 0))
        #expect(try await collect(next).1 == .length)
    }

    @Test func timeoutWhileQueuedAndWhileRunning() async throws {
        let gate = DispatchSemaphore(value: 0)
        let model = ToyModel(gate: gate)
        let scheduler = BatchScheduler(model: model, configuration: .init(maxBatchSize: 1), logger: logger)
        defer {
            for _ in 0..<100 { gate.signal() }
            scheduler.shutdown()
        }
        // Occupies the engine until the gate opens.
        let blocker = try scheduler.generate(
            GenerationRequest(prompt: [], maxTokens: 3, sampling: .init(temperature: 0), seed: 0, timeout: .milliseconds(50)))
        await #expect(throws: BatchingError.timedOut(milliseconds: 20)) {
            _ = try await scheduler.score(ScoringRequest(sentences: [["a"]], timeout: .milliseconds(20)))
        }
        try await Task.sleep(for: .milliseconds(60))
        gate.signal()
        let (_, reason) = try await collect(blocker)
        #expect(reason == .timeout)
        // The slot is free: the next request runs.
        for _ in 0..<10 { gate.signal() }
        let result = try await scheduler.score(ScoringRequest(sentences: [["a"]]))
        #expect(result.sentences.count == 1)
    }

    @Test func cancellationFreesTheSlot() async throws {
        let gate = DispatchSemaphore(value: 0)
        let model = ToyModel(gate: gate)
        let scheduler = BatchScheduler(model: model, configuration: .init(maxBatchSize: 1, scoringChunkSize: 1), logger: logger)
        defer {
            for _ in 0..<100 { gate.signal() }
            scheduler.shutdown()
        }
        let task = Task { try await scheduler.score(ScoringRequest(sentences: [["a", "b", "a", "b"]])) }
        while model.steps == 0 && scheduler.queueDepth > 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        gate.signal()
        await #expect(throws: CancellationError.self) { try await task.value }
        for _ in 0..<10 { gate.signal() }
        let result = try await scheduler.score(ScoringRequest(sentences: [["b"]]))
        #expect(result.sentences[0].count == 2)
        // A generation stream dropped by its consumer is cancelled too.
        var stream: AsyncThrowingStream<GenerationEvent, any Error>? = try scheduler.generate(
            GenerationRequest(prompt: [], maxTokens: 1000, sampling: .init(temperature: 1), seed: 1, excluded: [0]))
        stream = nil
        _ = stream
        for _ in 0..<20 { gate.signal() }
        let after = try await scheduler.score(ScoringRequest(sentences: [["a"]]))
        #expect(after.sentences.count == 1)
    }

    @Test func queueSizeZeroMeansNoLimit() async throws {
        let scheduler = BatchScheduler(model: ToyModel(), configuration: .init(maxBatchSize: 1, maxQueueSize: 0), logger: logger)
        defer { scheduler.shutdown() }
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await scheduler.score(ScoringRequest(sentences: [["a", "b"]])).sentences.count } }
            return try await group.reduce(0, +)
        }
        #expect(results == 20)
    }

    /// Shutdown while a job with more sentences than the batch is partly admitted: it ends with
    /// exactly one outcome (no double resume), and shutdown returns.
    @Test func shutdownWithAPartlyAdmittedJob() async throws {
        let gate = DispatchSemaphore(value: 0)
        let model = ToyModel(gate: gate)
        let scheduler = BatchScheduler(model: model, configuration: .init(maxBatchSize: 2, scoringChunkSize: 1), logger: logger)
        let task = Task { try await scheduler.score(ScoringRequest(sentences: Array(repeating: ["a", "b", "a"], count: 6))) }
        while scheduler.queueDepth == 0 && model.steps == 0 { try await Task.sleep(for: .milliseconds(2)) }
        try await Task.sleep(for: .milliseconds(10))
        let done = Task.detached { scheduler.shutdown() }
        for _ in 0..<200 { gate.signal() }
        await done.value
        do {
            let result = try await task.value
            #expect(result.sentences.count == 6)
        } catch {
            #expect(error is CancellationError || error as? BatchingError == .shuttingDown)
        }
    }

    @Test func shutdownRefusesNewWork() async throws {
        let scheduler = BatchScheduler(model: ToyModel(), configuration: .init(), logger: logger)
        scheduler.shutdown()
        await #expect(throws: BatchingError.shuttingDown) {
            _ = try await scheduler.score(ScoringRequest(sentences: [["a"]]))
        }
    }

    @Test func queueDelayGathersCompany() async throws {
        let model = ToyModel()
        let scheduler = BatchScheduler(
            model: model, configuration: .init(maxBatchSize: 8, maxQueueDelayMicroseconds: 200_000), logger: logger)
        defer { scheduler.shutdown() }
        let batches = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await scheduler.score(ScoringRequest(sentences: [["a", "b"]])).timing.batchSize } }
            var sizes: [Int] = []
            for try await s in group { sizes.append(s) }
            return sizes
        }
        // All eight arrive well within 200 ms of the first, so they share one batch.
        #expect(batches.allSatisfy { $0 == 8 })
    }
}
