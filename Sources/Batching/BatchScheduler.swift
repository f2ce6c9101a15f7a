import Foundation
import LMCore
import Logging

/// Runs every request for one model through an iteration-level ("cellular") batching engine.
///
/// One engine thread owns the model's running batch. Each step it admits waiting sequences up
/// to `maxBatchSize`, runs one batched step of the model for all of them (scored sentences
/// consume a chunk of tokens, generated choices one token), hands each its result, and retires
/// finished, timed-out and cancelled sequences at once, so new ones join at the next step.
/// Deadlines are checked there too, between steps: a request whose deadline passes while it
/// waits or runs ends at the next step boundary. Handlers never call a model directly; they
/// submit here.
package final class BatchScheduler<Model: LanguageModel>: @unchecked Sendable {  // queue state guarded by `condition`; the rest is the engine thread's
    package let model: Model
    package let configuration: BatchingConfiguration
    let hooks: SchedulerHooks
    let logger: Logger
    let clock: any SchedulerClock

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: FairQueue
    private var accepting = true
    private var stopped = false
    /// The drain deadline passed: everything waiting or running is failed at the next boundary.
    private var cut = false
    private var engineExited = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []

    // Engine-thread state.
    var scoring: [ScoringSequence<Model.State>] = []
    var generating: [GenerationSequence<Model.State>] = []
    var distribution: [Float] = []

    /// - Precondition: `configuration.validationError() == nil`.
    package init(
        model: Model, configuration: BatchingConfiguration, clock: any SchedulerClock = SystemSchedulerClock(),
        hooks: SchedulerHooks = SchedulerHooks(), logger: Logger
    ) {
        precondition(configuration.validationError() == nil, configuration.validationError() ?? "")
        self.model = model
        self.configuration = configuration
        self.clock = clock
        self.hooks = hooks
        self.logger = logger
        self.waiting = FairQueue(fair: configuration.fairAdmission, weights: configuration.tenantWeights)
        let thread = Thread { [self] in self.runEngine() }
        thread.name = "lmserve-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Requests waiting for admission.
    package var queueDepth: Int { condition.withLock { waiting.count } }

    /// Scores sentences; resumes when all are scored.
    ///
    /// - Throws: `BatchingError.queueFull`, `.timedOut`, `.shuttingDown`, or `CancellationError`
    ///   when the calling task is cancelled (the work is dropped at the next step).
    package func score(_ request: ScoringRequest) async throws -> ScoringResult {
        if request.sentences.isEmpty { return ScoringResult(sentences: [], timing: JobTiming()) }
        let box = JobBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let job = Job(work: .score(request, continuation), timeout: request.timeout, now: clock.now)
                box.set(job)
                if Task.isCancelled { job.cancel() }
                do { try enqueue(job) } catch { continuation.resume(throwing: error) }
            }
        } onCancel: {
            if let job = box.cancel() { self.withdraw(job, because: CancellationError()) }
            self.wake()
        }
    }

    /// Starts generating one sequence. Tokens arrive as their steps finish; the stream ends
    /// with `.finished`. Ending the iteration early (or cancelling the task) cancels the work.
    ///
    /// - Throws: `BatchingError.queueFull` or `.shuttingDown` at once, without queueing.
    package func generate(_ request: GenerationRequest) throws -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let job = Job(work: .generate(request, continuation), timeout: request.timeout, now: clock.now)
        continuation.onTermination = { [weak self] _ in
            job.cancel()
            self?.withdraw(job, because: CancellationError())
            self?.wake()
        }
        try enqueue(job)
        return stream
    }

    /// Stops taking work, fails what still waits, lets running sequences finish, then stops
    /// the engine. Returns when the engine thread has exited.
    package func shutdown() async {
        let refused: [Job] = condition.withLock {
            accepting = false
            stopped = true
            // Jobs the engine has started on stay queued; it finishes their admitted units and
            // fails the rest below as cancelled, on its own thread.
            let jobs = waiting.removeAll { job in
                if job.nextUnit == 0 { return true }
                job.cancel()
                return false
            }
            condition.broadcast()
            return jobs
        }
        hooks.queueDepthChanged(0)
        for job in refused { job.fail(BatchingError.shuttingDown) }
        await withCheckedContinuation { continuation in
            let exited: Bool = condition.withLock {
                if !engineExited { exitWaiters.append(continuation) }
                return engineExited
            }
            if exited { continuation.resume() }
        }
    }

    /// The server's drain deadline passed: takes no more work, and fails every waiting job and
    /// every running sequence with `BatchingError.cutByShutdown` at the next step boundary (a
    /// step under way finishes first), so their callers can still answer. `shutdown()` stops
    /// the engine afterwards.
    package func cutOff() {
        condition.withLock {
            accepting = false
            cut = true
            condition.broadcast()
        }
    }

    var isCut: Bool { condition.withLock { cut } }

    func wake() { condition.withLock { condition.broadcast() } }

    private func enqueue(_ job: Job) throws {
        let depth: Int = try condition.withLock {
            guard accepting else { throw BatchingError.shuttingDown }
            guard configuration.maxQueueSize == 0 || waiting.count < configuration.maxQueueSize else {
                throw BatchingError.queueFull(limit: configuration.maxQueueSize)
            }
            waiting.append(job)
            condition.broadcast()
            return waiting.count
        }
        hooks.queueDepthChanged(depth)
    }

    /// Takes a cancelled job that is still wholly waiting out of the queue and fails it. A job
    /// the engine has started on is left to the engine, which sees its cancellation next step.
    func withdraw(_ job: Job, because error: any Error) {
        let (removed, depth): (Bool, Int) = condition.withLock {
            guard job.nextUnit == 0, waiting.remove(job) else { return (false, waiting.count) }
            return (true, waiting.count)
        }
        guard removed else { return }
        hooks.queueDepthChanged(depth)
        job.fail(error)
    }

    // MARK: - Engine

    private func runEngine() {
        while true {
            guard let admittedJobs = nextAdmissions() else { break }
            admit(admittedJobs)
            retireExpiredAndCancelled()
            step()
        }
        let waiters: [CheckedContinuation<Void, Never>] = condition.withLock {
            engineExited = true
            defer { exitWaiters = [] }
            return exitWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private var activeCount: Int { scoring.count + generating.count }

    /// Blocks until there is work; returns jobs whose units may be admitted now (the head job
    /// may be only partly admitted and stays queued), or nil when the engine should stop. Returns
    /// nothing to admit when a waiting job's deadline passes during the queue delay, so the
    /// engine retires it.
    private func nextAdmissions() -> [(Job, Range<Int>)]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && activeCount == 0 {
            if stopped { return nil }
            clock.wait(on: condition, until: nil)
        }
        // An idle engine lets the first request wait a little for company.
        if activeCount == 0, configuration.maxQueueDelayMicroseconds > 0, let first = waiting.oldest {
            let until = first.submitted + .microseconds(configuration.maxQueueDelayMicroseconds)
            while !stopped, waitingUnits() < configuration.maxBatchSize, clock.now < until {
                let deadline = waiting.jobs.lazy.compactMap(\.deadline).min()
                if let deadline, clock.now >= deadline { return [] }
                clock.wait(on: condition, until: min(until, deadline ?? until))
            }
        }
        var admissions: [(Job, Range<Int>)] = []
        var free = configuration.maxBatchSize - activeCount
        var removed = 0
        let now = clock.now
        // A job whose deadline passed while it waited is not admitted; the sweep fails it. Each
        // admission charges its tenant's counter for the input tokens it feeds.
        while free > 0, let job = waiting.next, job.deadline.map({ now < $0 }) ?? true {
            let take = min(free, job.unitCount - job.nextUnit)
            let units = job.nextUnit..<(job.nextUnit + take)
            admissions.append((job, units))
            waiting.charge(job.tenant, input: job.inputTokens(units))
            job.nextUnit += take
            free -= take
            if job.nextUnit == job.unitCount {
                waiting.remove(job)
                removed += 1
            }
        }
        if removed > 0 { hooks.queueDepthChanged(waiting.count) }
        return admissions
    }

    /// Adds generated tokens to their tenants' counters (engine thread, once a step).
    func chargeOutput(_ tokens: [String: Int]) {
        guard !tokens.isEmpty else { return }
        condition.withLock { for (tenant, count) in tokens { waiting.charge(tenant, output: count) } }
    }

    /// The tenants' counters of weighted tokens served (for tests and diagnostics).
    package var tenantCounters: [String: Double] { condition.withLock { waiting.counters } }

    private func waitingUnits() -> Int {
        var units = 0
        for job in waiting.jobs {
            units += job.unitCount - job.nextUnit
            if units >= configuration.maxBatchSize { break }
        }
        return units
    }

    /// Drops queued jobs whose deadline passed or whose caller went away, or every queued job
    /// once the scheduler is cut off (engine thread).
    func sweepWaiting(now: Duration) {
        let (expired, cutOff): ([Job], Bool) = condition.withLock {
            let gone = waiting.removeAll { job in cut || job.isCancelled || (job.deadline.map { now >= $0 } ?? false) }
            return (gone, cut)
        }
        if !expired.isEmpty { hooks.queueDepthChanged(queueDepth) }
        for job in expired {
            if job.isCancelled {
                job.fail(CancellationError())
            } else {
                job.fail(cutOff ? BatchingError.cutByShutdown : BatchingError.timedOut(milliseconds: job.timeoutMilliseconds))
            }
        }
    }
}

/// Holds a job created inside a continuation so the cancellation handler can reach it.
private final class JobBox: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var job: Job?
    private var cancelled = false

    func set(_ job: Job) {
        let cancelNow: Bool = lock.withLock {
            self.job = job
            return cancelled
        }
        if cancelNow { job.cancel() }
    }

    /// Marks the job cancelled (now, or as soon as it is set) and returns it if it exists.
    func cancel() -> Job? {
        let job: Job? = lock.withLock {
            cancelled = true
            return self.job
        }
        job?.cancel()
        return job
    }
}
