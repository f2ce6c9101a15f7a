import Batching
import Foundation
import LMCore

/// A validated completion request: everything the handler needs, checked against the limits.
struct CompletionPlan {
    struct Prompt {
        var text: String
        var words: [String]
        var ids: [TokenID]
    }

    var prompts: [Prompt]
    var choicesPerPrompt: Int
    var maxTokens: Int
    var sampling: SamplingParameters
    var seed: UInt64
    var stops: [String]
    var logprobs: Int?
    var echo: Bool
    var stream: Bool
    var timeout: Duration?
    /// Who the request is for (`RequestTenant.of`), for the scheduler's fair admission.
    var tenant = ""

    /// Most prompts in one request (so prompts × n stays bounded).
    static let maxPrompts = 16

    init(_ body: CompletionRequest, model: ServedModel, limits: ServerConfiguration.RequestLimits) throws {
        let d = model.defaults
        let texts = body.prompt?.list ?? [""]
        guard !texts.isEmpty else { throw APIError.invalidField(field: "prompt", message: "must not be an empty list") }
        guard texts.count <= Self.maxPrompts else {
            throw APIError.limitExceeded(field: "prompt", message: "has \(texts.count) prompts; the limit is \(Self.maxPrompts)")
        }
        prompts = texts.map { text in
            let words = Tokenizer.lines(Substring(text)).flatMap { model.tokenizer.tokenize($0) }
            return Prompt(text: text, words: words.map(String.init), ids: model.ids(words))
        }
        choicesPerPrompt = body.n ?? 1
        guard choicesPerPrompt >= 1 else { throw APIError.invalidField(field: "n", message: "must be at least 1") }
        guard choicesPerPrompt <= limits.maxChoices else {
            throw APIError.limitExceeded(field: "n", message: "is \(choicesPerPrompt); the limit is \(limits.maxChoices)")
        }
        maxTokens = body.maxTokens ?? min(d.maxTokens, limits.maxTokens)
        guard maxTokens >= 0 else { throw APIError.invalidField(field: "max_tokens", message: "must not be negative") }
        guard maxTokens <= limits.maxTokens else {
            throw APIError.limitExceeded(field: "max_tokens", message: "is \(maxTokens); the limit is \(limits.maxTokens)")
        }
        let temperature = body.temperature ?? d.temperature
        guard temperature >= 0, temperature <= 10 else {
            throw APIError.invalidField(field: "temperature", message: "must be between 0 and 10")
        }
        let topK = body.topK ?? d.topK
        guard topK >= 0 else { throw APIError.invalidField(field: "top_k", message: "must not be negative (0 = no limit)") }
        let topP = body.topP ?? d.topP
        guard topP > 0, topP <= 1 else { throw APIError.invalidField(field: "top_p", message: "must be in (0, 1]") }
        sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP)
        seed = body.seed?.value ?? UInt64.random(in: 0...UInt64.max)
        stops = body.stop?.list ?? []
        guard stops.count <= 16 else { throw APIError.invalidField(field: "stop", message: "may hold at most 16 sequences") }
        logprobs = body.logprobs
        if let k = logprobs {
            guard k >= 0 else { throw APIError.invalidField(field: "logprobs", message: "must not be negative") }
            guard k <= limits.maxLogprobs else {
                throw APIError.limitExceeded(field: "logprobs", message: "is \(k); the limit is \(limits.maxLogprobs)")
            }
        }
        echo = body.echo ?? false
        stream = body.stream ?? false
        timeout = try requestTimeout(body.timeoutMs, limits: limits)
    }

    /// The generation request of choice `index` (prompt `index / n`); seeds differ per choice.
    func generation(_ index: Int, model: ServedModel) -> GenerationRequest {
        GenerationRequest(
            prompt: prompts[index / choicesPerPrompt].ids, sentenceContext: true, maxTokens: maxTokens,
            sampling: sampling, seed: seed &+ UInt64(index), topLogprobs: logprobs ?? 0,
            excluded: model.excludedFromGeneration, timeout: timeout, tenant: tenant)
    }
}
