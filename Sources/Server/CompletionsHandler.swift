import Batching
import Foundation
import HTTP
import LMCore

/// `POST /v1/completions`, shaped like OpenAI's legacy completions API.
///
/// Every choice is one generation job on the model's scheduler, started before the response
/// so that a full queue is an HTTP 503 rather than a broken stream.
struct CompletionsHandler: Sendable {
    let registry: ModelRegistry
    let liveLimits: LiveLimits

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let started = ContinuousClock.now
        let limits = liveLimits.current
        let body = try decodeBody(CompletionRequest.self, from: request)
        let trace = RequestTrace.current
        trace?.update { $0.requestedModel = body.model }
        // One version serves the whole request, even if the model is reloaded meanwhile; a
        // stream holds it until its last event.
        let lease = try registry.lease(named: body.model)
        let model = lease.model
        trace?.served(by: model)
        var plan = try CompletionPlan(body, model: model, limits: limits)
        plan.tenant = RequestTenant.of(request, trace: trace)
        trace?.update {
            $0.promptTokens = plan.prompts.reduce(0) { $0 + $1.words.count }
            $0.promptText = plan.prompts.map(\.text).joined(separator: "\n")
        }

        let choiceCount = plan.prompts.count * plan.choicesPerPrompt
        let streams = try (0..<choiceCount).map { EventSource(try model.engine.generate(plan.generation($0, model: model))) }
        let echoScores = try await promptLogprobs(plan, model: model, trace: trace)
        let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let runner = ChoiceRunner(model: model, plan: plan, echoScores: echoScores, trace: trace, started: started)

        if plan.stream {
            // Wait for the first choice's first event before answering, so a request that times
            // out (or fails) while still queued gets its status (504), not a 200 and a broken
            // stream. Choices are admitted in order, so once the first has started the headers
            // and the admitted choices' tokens go out at once; choices still queued (more than
            // max_batch_size) join the stream as they start.
            try await streams.first?.prefetch()
            let header = ChunkHeader(id: String(id), created: created, model: model.name)
            return .eventStream { events in
                defer { lease.release() }
                let sender = ChunkSender(events: events, header: header)
                do {
                    let texts = try await withThrowingTaskGroup(of: String.self) { group in
                        for (index, stream) in streams.enumerated() {
                            group.addTask {
                                try await runner.run(index, stream) { choice in try await sender.send(choice) }.choice.text
                            }
                        }
                        var texts: [String] = []
                        for try await text in group { texts.append(text) }
                        return texts
                    }
                    trace?.update { $0.outputText = texts.joined(separator: "\n") }
                } catch let error as BatchingError {
                    trace?.fail(with: error)
                    try await sender.sendError(error)
                }
                try await sender.done()
            }
        }

        defer { lease.release() }
        let results = try await withThrowingTaskGroup(of: (Int, ChoiceOutcome).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask { (index, try await runner.run(index, stream, emit: nil)) }
            }
            var outcomes = [ChoiceOutcome?](repeating: nil, count: choiceCount)
            for try await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.compactMap { $0 }
        }
        // The deadline passed before any choice started: nothing to return but the 504. If some
        // started, the others are returned with finish_reason "timeout".
        if let timeout = results.first?.queuedTimeout, results.allSatisfy({ $0.queuedTimeout != nil }) { throw timeout }
        let choices = results.map(\.choice)
        let generated = results.reduce(0) { $0 + $1.tokens }
        trace?.update { $0.outputText = choices.map(\.text).joined(separator: "\n") }
        let prompt = plan.prompts.reduce(0) { $0 + $1.words.count }
        return .json(
            CompletionResponse(
                id: String(id), created: created, model: model.name, choices: choices,
                usage: CompletionUsage(promptTokens: prompt, completionTokens: generated, totalTokens: prompt + generated)))
    }

    /// With `echo` and `logprobs`, the prompts' own token log-probabilities (scored, no `</s>`).
    private func promptLogprobs(_ plan: CompletionPlan, model: ServedModel, trace: RequestTrace?) async throws -> [[TokenScore]]? {
        guard plan.echo, plan.logprobs != nil else { return nil }
        let sentences = plan.prompts.map { $0.words.map { Substring($0) } }
        // Generation starts in the <s> context, so the prompt is scored there too; the final
        // </s> score is not part of the prompt.
        let result = try await model.engine.score(ScoringRequest(sentences: sentences, sentenceContext: true, timeout: plan.timeout, tenant: plan.tenant))
        trace?.add(result.timing)
        return result.sentences.map { Array($0.dropLast()) }
    }
}

/// One choice as it ended, with the tokens generated for it.
struct ChoiceOutcome: Sendable {
    var choice: CompletionChoice
    var tokens: Int
    /// The choice's deadline passed while it was still queued (its finish reason is "timeout").
    var queuedTimeout: BatchingError?
}

/// Runs one choice: reads its generation events and builds its text, logprobs and finish reason.
/// Each generated token is counted in the request's trace as it arrives, so a request cut off
/// midway logs the tokens it did stream.
struct ChoiceRunner: Sendable {
    let model: ServedModel
    let plan: CompletionPlan
    let echoScores: [[TokenScore]]?
    let trace: RequestTrace?
    let started: ContinuousClock.Instant

    /// - Parameter emit: for streams, called with each piece of the choice as it grows.
    func run(
        _ index: Int, _ stream: EventSource, emit: (@Sendable (CompletionChoice) async throws -> Void)?
    ) async throws -> ChoiceOutcome {
        let prompt = plan.prompts[index / plan.choicesPerPrompt]
        var text = ChoiceText(tokenizer: model.tokenizer, prompt: prompt.words, stops: plan.stops)
        let echoPrefix = plan.echo ? prompt.text : ""
        var logprobs: CompletionLogprobs? = plan.logprobs == nil ? nil : CompletionLogprobs()
        if plan.echo, let scores = echoScores?[index / plan.choicesPerPrompt] {
            logprobs = echoLogprobs(prompt, scores)
        }
        if let emit, !echoPrefix.isEmpty {
            try await emit(CompletionChoice(text: echoPrefix, index: index, logprobs: logprobs, finishReason: nil))
            if logprobs != nil { logprobs = CompletionLogprobs() }
        }
        var whole = logprobs ?? CompletionLogprobs()
        var finish: String?
        var produced = 0
        var lastTiming: JobTiming?
        var queuedTimeout: BatchingError?
        while true {
            let next: GenerationEvent?
            do {
                next = try await stream.next()
            } catch let error as BatchingError {
                // Still queued at the deadline: like a choice cut off while running, it ends
                // with finish_reason "timeout" (the caller answers 504 if no choice started).
                guard case .timedOut = error, lastTiming == nil else { throw error }
                queuedTimeout = error
                finish = FinishReason.timeout.rawValue
                break
            }
            guard let event = next else { break }
            switch event {
            case .token(let token):
                if produced == 0 && plan.stream { trace?.firstToken(after: (ContinuousClock.now - started).seconds) }
                produced += 1
                trace?.update { $0.completionTokens += 1 }
                lastTiming = token.timing
                let word = model.vocabulary[token.id]
                let (piece, offset) = text.append(word)
                var step: CompletionLogprobs? = nil
                if plan.logprobs != nil, let offset {
                    var entry = CompletionLogprobs()
                    entry.tokens = [word]
                    entry.tokenLogprobs = [Double(token.logProb)]
                    entry.topLogprobs = [
                        Dictionary(token.alternatives.map { (model.vocabulary[$0.id], Double($0.logProb)) }, uniquingKeysWith: max)
                    ]
                    entry.textOffset = [echoPrefix.count + offset]
                    whole.append(entry)
                    step = entry
                }
                if let emit, !piece.isEmpty || step != nil {
                    try await emit(CompletionChoice(text: piece, index: index, logprobs: step, finishReason: nil))
                }
                if text.stopped { finish = FinishReason.stop.rawValue }
            case .finished(let reason, let timing):
                lastTiming = timing
                finish = reason.rawValue
            }
            if finish != nil { break }
        }
        if let lastTiming { trace?.add(lastTiming) }
        // A choice cut off because a sibling failed (or the client left) did not finish.
        if finish == nil { try Task.checkCancellation() }
        let rest = text.finish()
        if let emit {
            try await emit(CompletionChoice(text: rest, index: index, logprobs: nil, finishReason: finish ?? "stop"))
        }
        let choice = CompletionChoice(
            text: echoPrefix + text.text, index: index, logprobs: plan.logprobs == nil ? nil : whole,
            finishReason: finish ?? FinishReason.stop.rawValue)
        return ChoiceOutcome(choice: choice, tokens: produced, queuedTimeout: queuedTimeout)
    }

    private func echoLogprobs(_ prompt: CompletionPlan.Prompt, _ scores: [TokenScore]) -> CompletionLogprobs {
        var out = CompletionLogprobs()
        var cursor = prompt.text.startIndex
        let lowered = prompt.text.lowercased()
        for (word, score) in zip(prompt.words, scores) {
            out.tokens.append(word)
            out.tokenLogprobs.append(score.logProb)
            out.topLogprobs.append(nil)
            if let r = lowered.range(of: word, range: cursor..<lowered.endIndex) {
                out.textOffset.append(lowered.distance(from: lowered.startIndex, to: r.lowerBound))
                cursor = r.upperBound
            } else {
                out.textOffset.append(lowered.distance(from: lowered.startIndex, to: cursor))
            }
        }
        return out
    }
}

extension CompletionLogprobs {
    mutating func append(_ other: CompletionLogprobs) {
        tokens += other.tokens
        tokenLogprobs += other.tokenLogprobs
        topLogprobs += other.topLogprobs
        textOffset += other.textOffset
    }
}

struct ChunkHeader: Sendable {
    var id: String
    var created: Int
    var model: String
}

/// Serialises the SSE chunks of all choices of one streamed completion.
actor ChunkSender {
    let events: ServerSentEvents
    let header: ChunkHeader
    let encoder: JSONEncoder

    init(events: ServerSentEvents, header: ChunkHeader) {
        self.events = events
        self.header = header
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]  // as non-streamed bodies
    }

    func send(_ choice: CompletionChoice) async throws {
        let chunk = CompletionResponse(id: header.id, created: header.created, model: header.model, choices: [choice], usage: nil)
        try await events.send(data: String(decoding: try encoder.encode(chunk), as: UTF8.self))
    }

    /// Ends a stream that failed after its headers went out: an `error` event carrying the
    /// JSON error body a non-streamed request would have got.
    func sendError(_ error: BatchingError) async throws {
        let body = ErrorBody(error: .init(message: errorMessage(of: error), type: errorType(of: error), code: error.errorCode))
        try await events.send(data: String(decoding: try encoder.encode(body), as: UTF8.self), event: "error")
    }

    func done() async throws { try await events.send(data: "[DONE]") }
}

/// One choice's generation events, read by one task; the first can be fetched ahead.
final class EventSource: @unchecked Sendable {  // read by one task at a time
    private var iterator: AsyncThrowingStream<GenerationEvent, any Error>.AsyncIterator
    private var buffered: GenerationEvent?

    init(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) { iterator = stream.makeAsyncIterator() }

    /// Reads the first event now; it is returned again by the next `next()`.
    func prefetch() async throws {
        if buffered == nil { buffered = try await iterator.next() }
    }

    func next() async throws -> GenerationEvent? {
        if let event = buffered {
            buffered = nil
            return event
        }
        return try await iterator.next()
    }
}
