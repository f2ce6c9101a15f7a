import LMCore

extension ServerConfiguration {
    /// Every server-wide setting: its config key, its `serve` flag and help. The YAML reader and
    /// the flags are derived from this list; a test checks that the README's table and
    /// `deploy/lmserve.yaml` list exactly these keys (and `modelSettings`).
    package static let settings: [Setting<ServerConfiguration>] = [
        .string("host", flag: "host", \.host, help: "Address to listen on (127.0.0.1, 0.0.0.0, ::1, ::)."),
        .integer("port", flag: "port", \.port, help: "Port to listen on; 0 picks a free one."),
        .string("log_level", flag: "log-level", \.logLevel, help: "trace, debug, info, notice, warning, error or critical."),
        .number("drain_timeout_s", flag: "drain-timeout", \.drainTimeoutSeconds, help: "Seconds in-flight requests get to finish on shutdown."),
        .number(
            "watch_interval_s", flag: "watch", \.watchIntervalSeconds,
            help: "Poll the model files every this many seconds and reload a model whose file changed (0 = off)."),
        .integer("batching.max_batch_size", flag: "max-batch-size", \.batching.maxBatchSize, help: "Most sequences in one batched step, per model."),
        .integer(
            "batching.max_queue_delay_us", flag: "max-queue-delay-us", \.batching.maxQueueDelayMicroseconds,
            help: "How long a request reaching an idle engine waits for company (µs)."),
        .integer(
            "batching.max_queue_size", flag: "max-queue-size", \.batching.maxQueueSize,
            help: "Most requests waiting per model before 503 (0 = no limit)."),
        .integer(
            "batching.scoring_chunk_size", flag: "scoring-chunk-size", \.batching.scoringChunkSize,
            help: "Tokens a scored sentence consumes per batched step (LSTM)."),
        .boolean(
            "batching.fair_admission", flag: "fair-admission", \.batching.fairAdmission,
            help: "Admit waiting work fairly across tenants (API key, else client address) by tokens served; off: first come, first served."),
        .integer("batching.workers", flag: "workers", \.batching.workerCount, help: "Threads a model's step uses: N-gram sentence scoring and next-token rows, OpenBLAS (default: one per core)."),
        .integer("limits.max_body_bytes", flag: "max-body-bytes", \.limits.maxBodyBytes, help: "Largest request body in bytes (at least 4 MiB)."),
        .integer("limits.max_header_bytes", flag: "max-header-bytes", \.limits.maxHeaderBytes, help: "Largest request line plus headers in bytes."),
        .integer(
            "limits.header_timeout_ms", flag: "header-timeout-ms", \.limits.headerTimeoutMilliseconds,
            help: "Time allowed to send the request head, in ms, from accept for a connection's first request (then 408; closed if it sent nothing)."),
        .integer("limits.idle_timeout_ms", flag: "idle-timeout-ms", \.limits.idleTimeoutMilliseconds, help: "Idle keep-alive timeout in ms."),
        .integer(
            "limits.tls_handshake_timeout_ms", flag: "tls-handshake-timeout-ms", \.limits.tlsHandshakeTimeoutMilliseconds,
            help: "Time allowed for the TLS handshake from accept, in ms (then closed)."),
        .integer(
            "limits.max_connections", flag: "max-connections", \.limits.maxConnections,
            help: "Most open connections; at the limit the one idle the longest is closed for a newcomer, else 503."),
        .integer(
            "limits.max_connections_per_client", flag: "max-connections-per-client", \.limits.maxConnectionsPerClient,
            help: "Most open connections from one client address (then 503 for it; 0 = no limit)."),
        .integer(
            "limits.max_requests_per_connection", flag: "max-requests-per-connection", \.limits.maxRequestsPerConnection,
            help: "Most requests on one connection (0 = unlimited)."),
        .integer("limits.max_tokens", flag: "max-tokens", \.limits.maxTokens, help: "Largest max_tokens a completion may ask for."),
        .integer("limits.max_n", flag: "max-n", \.limits.maxChoices, help: "Largest n (choices per prompt)."),
        .integer(
            "limits.max_logprobs", flag: "max-logprobs", \.limits.maxLogprobs,
            help: "Largest logprobs (alternatives per token) a completion may ask for."),
        .integer("limits.max_texts", flag: "max-texts", \.limits.maxTexts, help: "Most texts in one perplexity request."),
        .integer(
            "limits.request_timeout_ms", flag: "request-timeout-ms", \.limits.requestTimeoutMilliseconds,
            help: "Default per-request deadline in ms (0 = none)."),
        .number(
            "rate_limits.requests_per_second", flag: "requests-per-second", \.rateLimits.requestsPerSecond,
            help: "Requests per second per API key (per client address without keys) for keys that set none; 0 = off."),
        .integer(
            "rate_limits.burst", flag: "burst", \.rateLimits.burst,
            help: "Requests at once above that rate; 0 = the rate rounded up."),
        .integer(
            "rate_limits.tokens_per_minute", flag: "tokens-per-minute", \.rateLimits.tokensPerMinute,
            help: "Scored plus generated tokens per minute per key (or client address); 0 = off."),
        .path(
            "telemetry.db", flag: "db", \.database,
            help: "SQLite request log file; '' turns the store off (default: lmserve.db next to the config, or in the current directory)."),
        .boolean(
            "telemetry.log_text", flag: "log-text", \.logText,
            help: "Store prompt and output text in the request log (--no-log-text turns it off)."),
        .choice(
            "telemetry.access_log", flag: "access-log", \.accessLog, values: ["off", "json"],
            help: "off, or json: one JSON line per request on stdout (the request log's fields; texts only with log_text)."),
        .duration("telemetry.log_retention", flag: "log-retention", \.logRetentionSeconds, help: "Prune log rows older than this (e.g. 7d, 12h)."),
        .number(
            "telemetry.metrics_sample_interval_s", flag: "metrics-interval", \.metricsSampleIntervalSeconds,
            help: "Seconds between metric snapshots stored in the log (0 = none)."),
        .path(
            "auth.keys_file", flag: "keys-file", \.keysFile,
            help: "API keys file made by `lmserve keys add`; turns authentication on (re-read when it changes)."),
        .boolean(
            "auth.public_metrics", flag: "public-metrics", \.publicMetrics,
            help: "Serve /metrics without a key when authentication is on."),
        .path("tls.cert", flag: "tls-cert", \.tlsCertificate, help: "TLS certificate chain (PEM)."),
        .path("tls.key", flag: "tls-key", \.tlsPrivateKey, help: "TLS private key (PEM)."),
    ]

    /// The settings of one entry of `models:`. `name`, `path` and `tokenizer` are also given by
    /// `serve --model NAME=PATH[,tokenizer=T]`, `type` and `members` by `--model
    /// NAME=ensemble:A*0.4+B*0.6`; the rest exist only in the file.
    package static let modelSettings: [Setting<Model>] = [
        .string("name", \.name, help: "The model's name in requests and /v1/models.", required: true),
        .path("path", \.path, help: "The model file (ARPA, .lmb or safetensors); required unless type is ensemble.", required: false),
        .tokenizer("tokenizer", \.tokenizer, help: "How text is split into tokens."),
        .choice(
            "type", \.type, values: [Model.file, Model.ensemble],
            help: "file (the model in path) or ensemble (a mixture of other models: members)."),
        .members(
            "members", \.members,
            help: "An ensemble's members: other models' names and weights (≥ 0, summing to 1)."),
        .integer("batching.max_batch_size", \.batching.maxBatchSize, help: "This model's max_batch_size."),
        .integer("batching.max_queue_delay_us", \.batching.maxQueueDelayMicroseconds, help: "This model's max_queue_delay_us."),
        .integer("batching.max_queue_size", \.batching.maxQueueSize, help: "This model's max_queue_size."),
        .integer("defaults.max_tokens", \.defaults.maxTokens, help: "max_tokens of a completion that leaves it out."),
        .number("defaults.temperature", \.defaults.temperature, help: "temperature of a completion that leaves it out."),
        .integer("defaults.top_k", \.defaults.topK, help: "top_k of a completion that leaves it out."),
        .number("defaults.top_p", \.defaults.topP, help: "top_p of a completion that leaves it out."),
    ]

    /// Every key a config file may hold, models' keys as `models[].KEY`.
    package static var allKeys: [String] {
        settings.map(\.key) + modelSettings.flatMap { $0.listedKeys.map { "models[].\($0)" } }
    }
}
