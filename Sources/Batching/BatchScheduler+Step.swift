import Foundation
import LMCore

extension BatchScheduler {
    /// Turns admitted units into running sequences (engine thread).
    func admit(_ admissions: [(Job, Range<Int>)]) {
        let now = clock.now
        var whole: [(Job, Int)] = []
        for (job, units) in admissions {
            if job.admitted == nil { job.admitted = now }
            switch job.work {
            case .score(let request, _):
                for sentence in units {
                    if configuration.scoringMode == .wholeSentence {
                        whole.append((job, sentence))
                    } else {
                        scoring.append(makeScoringSequence(job, request, sentence))
                    }
                }
            case .generate(let request, _):
                generating.append(
                    GenerationSequence(
                        job: job, request: request, state: model.initialState(sentenceContext: request.sentenceContext),
                        sampler: Sampler(parameters: request.sampling, seed: request.seed, excluded: request.excluded)))
            }
        }
        if !whole.isEmpty { scoreWholeSentences(whole) }
    }

    private func makeScoringSequence(_ job: Job, _ request: ScoringRequest, _ sentence: Int) -> ScoringSequence<Model.State> {
        let (tokens, oov) = model.tokens(of: request.sentences[sentence], sentenceContext: request.sentenceContext)
        return ScoringSequence(
            job: job, sentence: sentence, state: model.initialState(sentenceContext: request.sentenceContext),
            tokens: tokens, oov: oov)
    }

    /// Scores whole sentences on the worker pool (N-gram models), finishing jobs that complete.
    private func scoreWholeSentences(_ units: [(Job, Int)]) {
        hooks.batchFormed(units.count)
        var results = [[TokenScore]](repeating: [], count: units.count)
        let workers = min(configuration.workerCount, units.count)
        results.withUnsafeMutableBufferPointer { out in
            let out = UnsafeSendableBuffer(out)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var i = worker
                while i < units.count {
                    let (job, sentence) = units[i]
                    if case .score(let request, _) = job.work {
                        out.buffer[i] = model.score(sentence: request.sentences[sentence], sentenceContext: request.sentenceContext)
                    }
                    i += workers
                }
            }
        }
        for (i, (job, sentence)) in units.enumerated() where !job.finished {
            job.largestBatch = max(job.largestBatch, units.count)
            job.scores[sentence] = results[i]
            finishUnit(of: job)
        }
    }

    private func finishUnit(of job: Job) {
        job.unitsDone += 1
        guard job.unitsDone == job.unitCount, case .score(_, let continuation) = job.work, job.claimFinish() else { return }
        continuation.resume(
            returning: ScoringResult(sentences: job.scores, members: job.memberScores, timing: job.timing(now: clock.now)))
    }

    /// Drops sequences whose caller went away; ends those past their deadline; fails every one
    /// once the scheduler is cut off (engine thread).
    func retireExpiredAndCancelled() {
        let now = clock.now
        sweepWaiting(now: now)
        if isCut {
            for seq in scoring { seq.job.fail(BatchingError.cutByShutdown) }
            for seq in generating { seq.job.fail(BatchingError.cutByShutdown) }
            scoring = []
            generating = []
            return
        }
        func expired(_ job: Job) -> Bool { job.deadline.map { now >= $0 } ?? false }
        scoring.removeAll { seq in
            if seq.job.finished { return true }
            if seq.job.isCancelled {
                seq.job.fail(CancellationError())
                return true
            }
            if expired(seq.job) {
                seq.job.fail(BatchingError.timedOut(milliseconds: seq.job.timeoutMilliseconds))
                return true
            }
            return false
        }
        generating.removeAll { seq in
            if seq.job.finished { return true }
            if seq.job.isCancelled {
                seq.job.fail(CancellationError())
                return true
            }
            if expired(seq.job) {
                finish(seq.job, .timeout)
                return true
            }
            return false
        }
    }

    private func finish(_ job: Job, _ reason: FinishReason) {
        guard case .generate(_, let continuation) = job.work, job.claimFinish() else { return }
        continuation.yield(.finished(reason, job.timing(now: clock.now)))
        continuation.finish()
    }

    /// Runs one batched step for every running sequence (engine thread).
    func step() {
        let batch = scoring.count + generating.count
        guard batch > 0 else { return }
        hooks.batchFormed(batch)
        for seq in scoring { seq.job.largestBatch = max(seq.job.largestBatch, batch) }
        for seq in generating { seq.job.largestBatch = max(seq.job.largestBatch, batch) }
        if !scoring.isEmpty { stepScoring() }
        if !generating.isEmpty { stepGeneration() }
    }

    private func stepScoring() {
        let chunk = configuration.scoringChunkSize
        var states = scoring.map(\.state)
        let slices = scoring.map { $0.tokens[$0.position..<min($0.position + chunk, $0.tokens.count)] }
        let scores = model.scoreChunksLog10(&states, tokens: slices)
        for i in scoring.indices {
            scoring[i].state = states[i]
            scoring[i].position += slices[i].count
            scoring[i].log10Probs.append(contentsOf: scores.log10Probs[i])
            if !scores.members.isEmpty {
                if scoring[i].memberLog10Probs.isEmpty { scoring[i].memberLog10Probs = Array(repeating: [], count: scores.members.count) }
                for m in scores.members.indices { scoring[i].memberLog10Probs[m].append(contentsOf: scores.members[m][i]) }
            }
        }
        scoring.removeAll { seq in
            guard seq.position == seq.tokens.count else { return false }
            seq.job.scores[seq.sentence] = seq.tokens.indices.map {
                TokenScore(id: seq.tokens[$0], log10Prob: seq.log10Probs[$0], ngramLength: 0, isOOV: seq.oov[$0])
            }
            if !seq.memberLog10Probs.isEmpty {
                if seq.job.memberScores.isEmpty { seq.job.memberScores = Array(repeating: [], count: seq.job.scores.count) }
                seq.job.memberScores[seq.sentence] = seq.memberLog10Probs
            }
            finishUnit(of: seq.job)
            return true
        }
    }

    private func stepGeneration() {
        prefill()
        let decoding = generating.indices.filter { !generating[$0].isPrefilling }
        guard !decoding.isEmpty else { return }
        var states = decoding.map { generating[$0].state }
        var samplers = decoding.map { generating[$0].sampler }
        let drawn = model.drawNext(
            states, samplers: &samplers, alternatives: decoding.map { generating[$0].request.topLogprobs }, scratch: &distribution)
        for (row, index) in decoding.enumerated() { generating[index].sampler = samplers[row] }
        var advancing: [Int] = []  // rows of `decoding` that go on
        var next: [TokenID] = []
        var served: [String: Int] = [:]  // generated tokens per tenant, for fair admission
        defer { chargeOutput(served) }
        let eos = model.vocabulary.endOfSentence
        for (row, index) in decoding.enumerated() {
            let token = drawn[row]
            let job = generating[index].job
            served[job.tenant, default: 0] += 1
            if token.id == eos {
                finish(job, .stop)
                continue
            }
            let alternatives = token.alternatives.map { TokenAlternative(id: $0.id, logProb: $0.logProb) }
            if case .generate(_, let continuation) = job.work {
                if case .terminated = continuation.yield(.token(GeneratedToken(id: token.id, logProb: token.logProb, alternatives: alternatives, timing: job.timing(now: clock.now)))) {
                    job.cancel()
                    continue
                }
            }
            generating[index].produced += 1
            if generating[index].produced >= generating[index].request.maxTokens {
                finish(job, .length)
                continue
            }
            advancing.append(row)
            next.append(token.id)
        }
        if !advancing.isEmpty {
            var moving = advancing.map { states[$0] }
            model.advance(&moving, by: next)
            for (j, row) in advancing.enumerated() { states[row] = moving[j] }
            for row in advancing { generating[decoding[row]].state = states[row] }
        }
        generating.removeAll { $0.job.finished || $0.job.isCancelled }
    }

    /// Feeds up to `scoringChunkSize` prompt tokens into each prefilling sequence; a sequence
    /// with max_tokens 0 finishes at once.
    private func prefill() {
        for i in generating.indices where generating[i].request.maxTokens <= 0 { finish(generating[i].job, .length) }
        generating.removeAll { $0.job.finished }
        for _ in 0..<configuration.scoringChunkSize {
            let active = generating.indices.filter { generating[$0].isPrefilling }
            guard !active.isEmpty else { return }
            var states = active.map { generating[$0].state }
            model.advance(&states, by: active.map { generating[$0].request.prompt[generating[$0].prefilled] })
            for (j, i) in active.enumerated() {
                generating[i].state = states[j]
                generating[i].prefilled += 1
            }
        }
    }
}
