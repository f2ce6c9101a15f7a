import LMCore

/// One sequence to generate.
package struct GenerationRequest: Sendable {
    /// Tokens fed after the start state before the first token is drawn.
    package var prompt: [TokenID]
    /// Start from the `<s>` context (true) or the empty context.
    package var sentenceContext: Bool
    package var maxTokens: Int
    package var sampling: SamplingParameters
    package var seed: UInt64
    /// How many most-probable alternatives to report per generated token (0 = none).
    package var topLogprobs: Int
    /// Ids never drawn (e.g. `<s>`, `<unk>`).
    package var excluded: Set<TokenID>
    /// How long after submission generation ends with `FinishReason.timeout`, or fails with
    /// `BatchingError.timedOut` if it has not started (nil: never).
    package var timeout: Duration?
    /// Who the request is for: fair admission shares the engine among tenants.
    package var tenant: String

    package init(
        prompt: [TokenID], sentenceContext: Bool = true, maxTokens: Int, sampling: SamplingParameters,
        seed: UInt64, topLogprobs: Int = 0, excluded: Set<TokenID> = [], timeout: Duration? = nil, tenant: String = ""
    ) {
        self.prompt = prompt
        self.sentenceContext = sentenceContext
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.seed = seed
        self.topLogprobs = topLogprobs
        self.excluded = excluded
        self.timeout = timeout
        self.tenant = tenant
    }
}

/// A drawn token with its natural-log probability under the model (before temperature).
package struct GeneratedToken: Sendable, Equatable {
    package var id: TokenID
    package var logProb: Float
    /// The most probable tokens at this step, most probable first.
    package var alternatives: [TokenAlternative]
    /// The job's time in the scheduler so far (for callers that stop reading early).
    package var timing: JobTiming
}

package struct TokenAlternative: Sendable, Equatable {
    package var id: TokenID
    package var logProb: Float
}

/// Why generation ended.
package enum FinishReason: String, Sendable, Codable {
    /// The model produced `</s>`.
    case stop
    /// `max_tokens` were produced.
    case length
    /// The request's deadline passed.
    case timeout
}

/// What a generation stream yields: tokens as their steps finish, then one `finished`.
package enum GenerationEvent: Sendable, Equatable {
    case token(GeneratedToken)
    case finished(FinishReason, JobTiming)
}
