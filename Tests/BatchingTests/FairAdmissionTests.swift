import Foundation
import LMCore
import Logging
import SchedulerTesting
import Testing
@testable import Batching

/// Fair admission on a manual clock: one step of one sequence per second, so a job's queue
/// time is the number of steps it waited.
@Suite(.timeLimit(.minutes(1))) struct FairAdmissionTests {
    /// Tenant A queues 500 one-token jobs, then B one: with fair admission B is admitted right
    /// after A's running job; first come, first served it waits for all 500.
    @Test(arguments: [true, false]) func manyJobsCannotStarveOne(fair: Bool) async throws {
        let gate = Gate()
        let clock = ManualClock()
        var configuration = BatchingConfiguration(maxBatchSize: 1)
        configuration.fairAdmission = fair
        let scheduler = BatchScheduler(model: ToyModel(gate: gate), configuration: configuration, clock: clock, logger: Logger(label: "test"))
        func job(_ tenant: String) throws -> AsyncThrowingStream<GenerationEvent, any Error> {
            try scheduler.generate(
                GenerationRequest(prompt: [2], maxTokens: 1, sampling: SamplingParameters(temperature: 0), seed: 1, excluded: [0], tenant: tenant))
        }
        var streams = [try job("A")]
        await gate.arrivals.until { $0 == 1 }
        for _ in 1..<500 { streams.append(try job("A")) }
        let b = try job("B")
        for step in 1...501 {
            await gate.arrivals.until { $0 == step }
            clock.advance(by: .seconds(1))
            gate.signal()
        }
        var queued: Double?
        for try await event in b { if case .finished(_, let timing) = event { queued = timing.queueSeconds } }
        #expect(queued == (fair ? 1 : 500))
        for stream in streams { for try await _ in stream {} }
        gate.open()
        await scheduler.shutdown()
    }

    /// A tenant's counter grows by its input tokens (weight 1) and generated ones (weight 2),
    /// divided by its weight; one returning from idle is lifted to the backlogged level.
    @Test func countersWeightsAndIdleLift() throws {
        var queue = FairQueue(fair: true, weights: ["heavy": 2])
        queue.charge("A", input: 3, output: 5)
        queue.charge("heavy", input: 3, output: 5)
        #expect(queue.counters["A"] == 13)
        #expect(queue.counters["heavy"] == 6.5)
        func job(_ tenant: String) -> Job {
            let (_, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
            return Job(
                work: .generate(GenerationRequest(prompt: [2], maxTokens: 1, sampling: SamplingParameters(), seed: 1, tenant: tenant), continuation),
                timeout: nil, now: .zero)
        }
        let a = job("A")
        queue.append(a)
        // B was idle while A was served: it starts at A's level, not at 0.
        let b = job("B")
        queue.append(b)
        #expect(queue.counters["B"] == 13)
        // Ties go to the older job; once A is charged more, B goes next.
        #expect(queue.next === a)
        queue.charge("A", output: 1)
        #expect(queue.next === b)
        let removed = queue.remove(b)
        #expect(removed)
        #expect(queue.count == 1)
    }
}
