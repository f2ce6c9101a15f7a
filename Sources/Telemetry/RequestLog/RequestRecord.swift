/// One served request, as logged: plain values only (Telemetry knows nothing of models or HTTP).
///
/// Times are unix seconds; durations are milliseconds. Text fields are nil unless `--log-text`.
package struct RequestRecord: Sendable, Equatable, Codable {
    package var requestID: String
    /// When the request arrived, unix seconds.
    package var time: Double
    /// The route template, e.g. "/v1/perplexity".
    package var route: String
    package var model: String?
    /// The version of the model that served the request (`ModelVersion.id`: content hash and
    /// file time); nil when no model served it, and in rows from before schema version 3.
    package var modelVersion: String?
    /// The HTTP status code sent.
    package var status: Int
    /// The error kind for failures, e.g. "queue_full", "bad_request".
    package var errorType: String?
    package var clientAddress: String?
    /// The name of the API key the request came with (never the key); nil without keys.
    package var keyName: String?
    /// Arrival to last byte sent, milliseconds.
    package var latencyMs: Double
    /// Time waiting for a batch, milliseconds.
    package var queueMs: Double?
    /// Time computing in the batch, milliseconds.
    package var computeMs: Double?
    /// Size of the batch this request ran in.
    package var batchSize: Int?
    package var promptTokens: Int
    package var completionTokens: Int
    package var scoredTokens: Int
    /// Perplexity for scoring requests.
    package var perplexity: Double?
    package var promptText: String?
    package var outputText: String?

    package init(
        requestID: String, time: Double, route: String, model: String? = nil, status: Int,
        errorType: String? = nil, clientAddress: String? = nil, latencyMs: Double, queueMs: Double? = nil,
        computeMs: Double? = nil, batchSize: Int? = nil, promptTokens: Int = 0, completionTokens: Int = 0,
        scoredTokens: Int = 0, perplexity: Double? = nil, promptText: String? = nil, outputText: String? = nil,
        keyName: String? = nil, modelVersion: String? = nil
    ) {
        self.requestID = requestID
        self.time = time
        self.route = route
        self.model = model
        self.status = status
        self.errorType = errorType
        self.clientAddress = clientAddress
        self.latencyMs = latencyMs
        self.queueMs = queueMs
        self.computeMs = computeMs
        self.batchSize = batchSize
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.scoredTokens = scoredTokens
        self.perplexity = perplexity
        self.promptText = promptText
        self.outputText = outputText
        self.keyName = keyName
        self.modelVersion = modelVersion
    }

    /// Prompt + completion + scored tokens.
    package var totalTokens: Int { promptTokens + completionTokens + scoredTokens }

    /// JSON keys are the `requests` column names.
    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", time, route, model, status, errorType = "error_type"
        case clientAddress = "client_address", latencyMs = "latency_ms", queueMs = "queue_ms"
        case computeMs = "compute_ms", batchSize = "batch_size", promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens", scoredTokens = "scored_tokens", perplexity
        case promptText = "prompt_text", outputText = "output_text", keyName = "key_name", modelVersion = "model_version"
    }
}

/// A model lifecycle event for the `model_events` table.
package struct ModelEvent: Sendable, Equatable, Codable {
    package enum Kind: String, Sendable, Codable, CaseIterable {
        case load, reload, unload, failure
    }

    /// Unix seconds.
    package var time: Double
    package var model: String
    package var kind: Kind
    package var detail: String?

    package init(time: Double, model: String, kind: Kind, detail: String? = nil) {
        self.time = time
        self.model = model
        self.kind = kind
        self.detail = detail
    }
}

/// One metric value at one time, for the `metric_samples` table.
package struct MetricSample: Sendable, Equatable, Codable {
    /// Unix seconds.
    package var time: Double
    /// The series name as exposed, e.g. "lmserve_requests_total" or "…_bucket".
    package var name: String
    /// The label set as rendered between braces, e.g. `model="m",route="/v1/x"`; empty if none.
    package var labels: String
    package var value: Double

    package init(time: Double, name: String, labels: String, value: Double) {
        self.time = time
        self.name = name
        self.labels = labels
        self.value = value
    }
}
