import Foundation
import LMCore

/// A submitted request as the engine sees it. Shared between the submitting task and the
/// engine thread; `cancelled` and `finished` are touched by both, under the lock.
final class Job: @unchecked Sendable {  // shared state guarded by `lock`
    enum Work {
        case score(ScoringRequest, CheckedContinuation<ScoringResult, any Error>)
        case generate(GenerationRequest, AsyncThrowingStream<GenerationEvent, any Error>.Continuation)
    }

    let work: Work
    /// Times on the scheduler's clock.
    let submitted: Duration
    let deadline: Duration?
    let timeoutMilliseconds: Int
    private let lock = NSLock()
    private var cancelledFlag = false
    private var finishedFlag = false

    /// Who the job is for (fair admission counts per tenant).
    let tenant: String
    /// Arrival order in the queue (set when queued, under the scheduler's lock).
    var sequence: UInt64 = 0

    // Engine-thread state.
    var admitted: Duration?
    /// Units (sentences, or the one generated sequence) not yet admitted.
    var nextUnit = 0
    var unitsDone = 0
    var largestBatch = 0
    var scores: [[TokenScore]] = []
    /// A mixture's member scores per sentence (`ScoringResult.members`); empty otherwise.
    var memberScores: [[[Float]]] = []

    init(work: Work, timeout: Duration?, now: Duration) {
        self.work = work
        switch work {
        case .score(let request, _): tenant = request.tenant
        case .generate(let request, _): tenant = request.tenant
        }
        self.submitted = now
        self.deadline = timeout.map { now + $0 }
        self.timeoutMilliseconds = timeout.map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) } ?? 0
        if case .score(let request, _) = work {
            scores = Array(repeating: [], count: request.sentences.count)
        }
    }

    var unitCount: Int {
        switch work {
        case .score(let request, _): return request.sentences.count
        case .generate: return 1
        }
    }

    /// Input tokens the units `units` feed the model (prompt tokens, or scored words and `</s>`).
    func inputTokens(_ units: Range<Int>) -> Int {
        switch work {
        case .score(let request, _):
            return units.reduce(0) { $0 + request.sentences[$1].count + (request.sentenceContext ? 1 : 0) }
        case .generate(let request, _):
            return request.prompt.count
        }
    }

    var isCancelled: Bool { lock.withLock { cancelledFlag } }
    func cancel() { lock.withLock { cancelledFlag = true } }

    func timing(now: Duration) -> JobTiming {
        let start = admitted ?? now
        return JobTiming(
            queueSeconds: (start - submitted).seconds, computeSeconds: (now - start).seconds,
            batchSize: largestBatch)
    }

    /// True once the job's result (or error) has been delivered.
    var finished: Bool { lock.withLock { finishedFlag } }

    /// Claims the right to deliver the job's result: true exactly once, for the first caller.
    func claimFinish() -> Bool {
        lock.withLock {
            defer { finishedFlag = true }
            return !finishedFlag
        }
    }

    /// Ends the job with an error (exactly once; later calls do nothing).
    func fail(_ error: any Error) {
        guard claimFinish() else { return }
        switch work {
        case .score(_, let continuation): continuation.resume(throwing: error)
        case .generate(_, let continuation): continuation.finish(throwing: error)
        }
    }
}
