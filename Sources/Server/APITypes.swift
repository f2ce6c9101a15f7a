import Foundation
import LMCore

// Request and response bodies of the REST API (openapi.yaml describes the same shapes).

/// `POST /v1/perplexity`.
struct PerplexityRequest: Decodable {
    var model: String
    var text: String?
    var texts: [String]?
    var tokenizer: Tokenizer?
    var sentenceContext: Bool?
    var perToken: Bool?
    var timeoutMs: Int?

    enum CodingKeys: String, CodingKey {
        case model, text, texts, tokenizer
        case sentenceContext = "sentence_context"
        case perToken = "per_token"
        case timeoutMs = "timeout_ms"
    }
}

/// Totals over some text: KenLM's perplexities and the sums they come from.
struct ScoreSummary: Encodable {
    /// KenLM's "including OOVs"; nil when nothing was scored.
    var perplexity: Double?
    var perplexityNoOOV: Double?
    var crossEntropyBits: Double?
    var log10Prob: Double
    var logprob: Double
    var tokens: Int
    var oov: Int
    var sentences: Int

    init(_ acc: PerplexityAccumulator) {
        func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
        perplexity = acc.tokens > 0 ? finite(acc.perplexity) : nil
        perplexityNoOOV = acc.tokens - acc.oov > 0 ? finite(acc.perplexityExcludingOOV) : nil
        crossEntropyBits = acc.tokens > 0 ? finite(acc.crossEntropyBits) : nil
        log10Prob = acc.log10Prob
        logprob = acc.logProb
        tokens = acc.tokens
        oov = acc.oov
        sentences = acc.sentences
    }

    enum CodingKeys: String, CodingKey {
        case perplexity, tokens, oov, sentences, logprob
        case perplexityNoOOV = "perplexity_no_oov"
        case crossEntropyBits = "cross_entropy_bits"
        case log10Prob = "log10_prob"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(perplexity, forKey: .perplexity)  // explicit null when undefined
        try c.encode(perplexityNoOOV, forKey: .perplexityNoOOV)
        try c.encode(crossEntropyBits, forKey: .crossEntropyBits)
        try c.encode(log10Prob, forKey: .log10Prob)
        try c.encode(logprob, forKey: .logprob)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(oov, forKey: .oov)
        try c.encode(sentences, forKey: .sentences)
    }
}

struct TokenDetail: Encodable {
    var token: String
    var logprob: Double
    var log10Prob: Float
    /// N-gram models only.
    var ngramLength: Int?
    var oov: Bool
    /// Ensembles only: each member's own score of the token, in the ensemble's member order.
    var members: [MemberTokenScore]?

    enum CodingKeys: String, CodingKey {
        case token, logprob, oov, members
        case log10Prob = "log10_prob"
        case ngramLength = "ngram_length"
    }
}

/// One ensemble member's score of a token, as the member scores it alone.
struct MemberTokenScore: Encodable {
    var model: String
    var logprob: Double
    var log10Prob: Float

    enum CodingKeys: String, CodingKey {
        case model, logprob
        case log10Prob = "log10_prob"
    }
}

struct TextScore: Encodable {
    var index: Int
    var summary: ScoreSummary
    var perToken: [TokenDetail]?

    enum CodingKeys: String, CodingKey { case index, perToken = "per_token" }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encodeIfPresent(perToken, forKey: .perToken)
    }
}

struct PerplexityResponse: Encodable {
    var object = "perplexity"
    var model: String
    var results: [TextScore]
    var total: ScoreSummary
}

/// A string or a list of strings (`prompt`, `stop`).
enum StringOrList: Decodable {
    case one(String)
    case many([String])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            self = .one(s)
        } else if let list = try? c.decode([String].self) {
            self = .many(list)
        } else {
            throw DecodingError.typeMismatch(
                String.self, .init(codingPath: decoder.codingPath, debugDescription: "must be a string or a list of strings"))
        }
    }

    var list: [String] {
        switch self {
        case .one(let s): return [s]
        case .many(let l): return l
        }
    }
}

/// A sampling seed: any integer from 0 to 2^64 - 1.
struct Seed: Decodable {
    var value: UInt64

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(UInt64.self) {
            value = v
        } else {
            throw DecodingError.typeMismatch(
                UInt64.self, .init(codingPath: decoder.codingPath, debugDescription: "must be an integer from 0 to 18446744073709551615"))
        }
    }
}

/// `POST /v1/completions` (OpenAI's legacy completions shape).
struct CompletionRequest: Decodable {
    var model: String
    var prompt: StringOrList?
    var maxTokens: Int?
    var temperature: Double?
    var topK: Int?
    var topP: Double?
    var n: Int?
    var seed: Seed?
    var stop: StringOrList?
    var logprobs: Int?
    var echo: Bool?
    var stream: Bool?
    var timeoutMs: Int?

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, n, seed, stop, logprobs, echo, stream
        case maxTokens = "max_tokens"
        case topK = "top_k"
        case topP = "top_p"
        case timeoutMs = "timeout_ms"
    }
}

struct CompletionLogprobs: Encodable, Equatable {
    var tokens: [String] = []
    var tokenLogprobs: [Double?] = []
    var topLogprobs: [[String: Double]?] = []
    var textOffset: [Int] = []

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }
}

struct CompletionChoice: Encodable {
    var text: String
    var index: Int
    var logprobs: CompletionLogprobs?
    var finishReason: String?

    enum CodingKeys: String, CodingKey {
        case text, index, logprobs
        case finishReason = "finish_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(index, forKey: .index)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

struct CompletionUsage: Encodable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }
}

struct CompletionResponse: Encodable {
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [CompletionChoice]
    var usage: CompletionUsage?
}

/// `GET /v1/models/{id}` and the entries of `GET /v1/models`: the model's state, then, when a
/// version is loaded, its fixed fields and each of its own parameters (`order`, `layers`, …) as
/// a field of its own.
struct ModelInfo: Encodable {
    var id: String
    var object = "model"
    var state: String
    /// Why the first load failed (state `failed`).
    var error: String?
    /// A reload under way or the last that failed, while the current version serves.
    var reload: ModelRegistry.PendingReload?
    var loaded: Loaded?
    /// The file asked for, while no version is loaded.
    var requestedFile: String

    struct Loaded {
        var type: String
        var parameters: [ModelParameter]
        var vocabularySize: Int
        var tokenizer: String
        /// The subword model behind `tokenizer` (SentencePiece), when there is one.
        var tokenizerModel: TokenizerModel?
        var file: String
        var format: String
        /// What computes the model, where that depends on the machine (LSTMs: BLAS, core, kernels).
        var compute: String?
        var version: String
        var sha256: String
        var fileModified: Double
        var loadSeconds: Double
        var loadedAt: Date
        var maxBatchSize: Int
        var inFlight: Int
        /// An ensemble's members and weights.
        var members: [EnsembleMemberInfo]
    }

    init(name: String, entry: ModelRegistry.Entry) {
        id = name
        state = entry.state.rawValue
        error = entry.error
        reload = entry.reload
        requestedFile = entry.spec.path
        if let m = entry.current { loaded = Loaded(m) }
    }

    init(_ m: ServedModel) {
        self.init(name: m.name, entry: ModelRegistry.Entry(spec: m.spec, configured: false, state: .ready, current: m))
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(id, forKey: Key("id"))
        try c.encode(object, forKey: Key("object"))
        try c.encode(state, forKey: Key("state"))
        try c.encodeIfPresent(error, forKey: Key("error"))
        if let reload {
            try c.encode(ReloadInfo(reload), forKey: Key("reload"))
        }
        guard let m = loaded else {
            try c.encode(requestedFile, forKey: Key("file"))
            return
        }
        try c.encode(m.type, forKey: Key("type"))
        for p in m.parameters { try c.encode(p.value, forKey: Key(p.name)) }
        try c.encode(m.vocabularySize, forKey: Key("vocabulary_size"))
        try c.encode(m.tokenizer, forKey: Key("tokenizer"))
        try c.encodeIfPresent(m.tokenizerModel, forKey: Key("tokenizer_model"))
        try c.encode(m.file, forKey: Key("file"))
        try c.encode(m.format, forKey: Key("format"))
        try c.encodeIfPresent(m.compute, forKey: Key("compute"))
        try c.encode(m.version, forKey: Key("version"))
        try c.encode(m.sha256, forKey: Key("sha256"))
        try c.encode(Self.timestamp(Date(timeIntervalSince1970: m.fileModified)), forKey: Key("file_modified"))
        try c.encode(m.loadSeconds, forKey: Key("load_seconds"))
        try c.encode(Self.timestamp(m.loadedAt), forKey: Key("loaded_at"))
        try c.encode(Int(m.loadedAt.timeIntervalSince1970), forKey: Key("created"))
        try c.encode(m.maxBatchSize, forKey: Key("max_batch_size"))
        try c.encode(m.inFlight, forKey: Key("in_flight"))
        if !m.members.isEmpty { try c.encode(m.members, forKey: Key("members")) }
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    private struct ReloadInfo: Encodable {
        var state: String
        var file: String
        var error: String?
        init(_ r: ModelRegistry.PendingReload) {
            state = r.state.rawValue
            file = r.path
            error = r.error
        }
    }
}

extension ModelInfo.Loaded {
    init(_ m: ServedModel) {
        type = m.description.type
        parameters = m.description.parameters
        vocabularySize = m.description.vocabularySize
        tokenizer = m.tokenizer.rawValue
        if case .subword(let codec) = m.tokenizer {
            tokenizerModel = TokenizerModel(file: codec.file, bytes: codec.fileSize, pieces: codec.pieceCount)
        }
        file = m.description.path
        format = m.description.format
        compute = m.description.compute
        version = m.version.id
        sha256 = m.version.sha256
        fileModified = m.version.modified
        loadSeconds = m.loadSeconds
        loadedAt = m.loadedAt
        maxBatchSize = m.batching.maxBatchSize
        inFlight = m.inFlight
        members = m.description.members.map { EnsembleMemberInfo(model: $0.name, weight: $0.weight) }
    }
}

struct EnsembleMemberInfo: Encodable {
    var model: String
    var weight: Double
}

/// The file behind a subword tokenizer, as `/v1/models` reports it.
struct TokenizerModel: Encodable {
    var file: String
    var bytes: Int
    var pieces: Int
}

struct ModelList: Encodable {
    var object = "list"
    var data: [ModelInfo]
}
