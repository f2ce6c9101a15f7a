import Batching
import Foundation
import HTTP
import LMCore
import Synchronization

/// `POST /v1/perplexity`: scores texts, each line a sentence (KenLM's rule), through the
/// model's scheduler. The numbers equal `lmserve ppl` for the same model and text.
struct PerplexityHandler: Sendable {
    let registry: ModelRegistry
    let liveLimits: LiveLimits

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let limits = liveLimits.current
        let body = try decodeBody(PerplexityRequest.self, from: request)
        let trace = RequestTrace.current
        trace?.update { $0.requestedModel = body.model }
        // One version serves the whole request, even if the model is reloaded meanwhile.
        let lease = try registry.lease(named: body.model)
        defer { lease.release() }
        let model = lease.model
        trace?.served(by: model)
        let texts: [String]
        switch (body.text, body.texts) {
        case (let t?, nil): texts = [t]
        case (nil, let list?): texts = list
        case (.some, .some): throw APIError.invalidField(field: "text", message: "give either text or texts, not both")
        case (nil, nil): throw APIError.invalidField(field: "text", message: "is required (or texts)")
        }
        if texts.count > limits.maxTexts {
            throw APIError.limitExceeded(field: "texts", message: "has \(texts.count) items; the limit is \(limits.maxTexts)")
        }
        let timeout = try requestTimeout(body.timeoutMs, limits: limits)
        let tokenizer = body.tokenizer ?? model.tokenizer
        let sentenceContext = body.sentenceContext ?? true
        trace?.update { $0.promptText = texts.joined(separator: "\n") }

        // Sentences of every text, in order; `bounds[i]` is text i's range of sentences.
        var sentences: [[Substring]] = []
        var bounds: [Range<Int>] = []
        for text in texts {
            let start = sentences.count
            for line in Tokenizer.lines(Substring(text)) { sentences.append(tokenizer.tokenize(line)) }
            bounds.append(start..<sentences.count)
        }
        let result = try await model.engine.score(
            ScoringRequest(
                sentences: sentences, sentenceContext: sentenceContext, timeout: timeout, tenant: RequestTenant.of(request, trace: trace)))
        trace?.add(result.timing)

        var total = PerplexityAccumulator()
        var results: [TextScore] = []
        results.reserveCapacity(texts.count)
        for (index, range) in bounds.enumerated() {
            var acc = PerplexityAccumulator()
            var details: [TokenDetail]? = body.perToken == true ? [] : nil
            for s in range {
                let scores = result.sentences[s]
                acc.add(scores, endsWithSentenceEnd: sentenceContext)
                if details != nil {
                    let words = sentences[s]
                    let members = model.description.members
                    let memberScores = s < result.members.count ? result.members[s] : []
                    for (i, score) in scores.enumerated() {
                        let text = i < words.count ? String(words[i]) : "</s>"
                        details?.append(
                            TokenDetail(
                                token: text, logprob: score.logProb, log10Prob: score.log10Prob,
                                ngramLength: model.description.reportsNGramLength ? Int(score.ngramLength) : nil, oov: score.isOOV,
                                members: memberScores.count == members.count && !members.isEmpty
                                    ? members.indices.map { m in
                                        let log10 = memberScores[m][i]
                                        return MemberTokenScore(model: members[m].name, logprob: Double(log10) * LogBase.ln10, log10Prob: log10)
                                    } : nil))
                    }
                }
            }
            total.add(acc)
            results.append(TextScore(index: index, summary: ScoreSummary(acc), perToken: details))
        }
        trace?.update {
            $0.scoredTokens = total.tokens
            $0.perplexity = total.tokens > 0 ? total.perplexity : nil
        }
        return .json(PerplexityResponse(model: model.name, results: results, total: ScoreSummary(total)))
    }
}

/// The scheduler deadline for a request: its own `timeout_ms`, capped by the server's default.
func requestTimeout(_ milliseconds: Int?, limits: ServerConfiguration.RequestLimits) throws -> Duration? {
    if let ms = milliseconds {
        guard ms > 0, ms <= 86_400_000 else {
            throw APIError.invalidField(field: "timeout_ms", message: "must be between 1 and 86400000 milliseconds")
        }
        let cap = limits.requestTimeoutMilliseconds
        return .milliseconds(cap > 0 ? min(ms, cap) : ms)
    }
    return limits.requestTimeoutMilliseconds > 0 ? .milliseconds(limits.requestTimeoutMilliseconds) : nil
}

/// The request limits handlers check, replaced as a whole when SIGHUP applies a new
/// configuration (requests under way keep the limits they started with).
final class LiveLimits: Sendable {
    private let value: Mutex<ServerConfiguration.RequestLimits>
    init(_ limits: ServerConfiguration.RequestLimits) { value = Mutex(limits) }
    var current: ServerConfiguration.RequestLimits {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
