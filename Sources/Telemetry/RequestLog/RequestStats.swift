/// Per-route and per-model summaries of the request log: count, error rate, latency
/// percentiles and token throughput.
///
/// Percentiles are exact (nearest rank over the sorted latencies). An error is a status ≥ 400.
/// `tokensPerSecond` is total tokens ÷ total request latency: how fast requests processed
/// tokens, independent of how busy the server was.
package struct RequestStats: Sendable, Equatable, Codable {
    /// What `RequestStats` needs from one row.
    package struct Sample: Sendable, Equatable {
        package var time: Double
        package var route: String
        package var model: String?
        package var status: Int
        package var latencyMs: Double
        package var tokens: Int
        // Built only inside Telemetry (and its tests): the memberwise initializer is enough.
    }

    /// The summary of one group (a route, a model, or everything).
    package struct Group: Sendable, Equatable, Codable {
        /// The route or model name; "" for requests without a model; "all" for the total.
        package var key: String
        package var count: Int
        /// Requests with status ≥ 400.
        package var errors: Int
        /// Requests with status ≥ 500.
        package var serverErrors: Int
        /// errors ÷ count (0 for an empty group).
        package var errorRate: Double
        package var p50LatencyMs: Double
        package var p90LatencyMs: Double
        package var p99LatencyMs: Double
        package var tokens: Int
        /// tokens ÷ Σ latency in seconds (0 if the latency sum is 0).
        package var tokensPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case key, count, errors, serverErrors = "server_errors", errorRate = "error_rate"
            case p50LatencyMs = "p50_latency_ms", p90LatencyMs = "p90_latency_ms", p99LatencyMs = "p99_latency_ms"
            case tokens, tokensPerSecond = "tokens_per_second"
        }
    }

    package var overall: Group
    /// Sorted by route.
    package var byRoute: [Group]
    /// Sorted by model name.
    package var byModel: [Group]
    /// Sorted by instance, when the stats cover several replicas' logs (else nil).
    package var byInstance: [Group]?

    enum CodingKeys: String, CodingKey {
        case overall, byRoute = "by_route", byModel = "by_model", byInstance = "by_instance"
    }

    /// Aggregates `samples` (any order).
    package init(samples: [Sample]) {
        overall = Self.summarize(key: "all", samples[...])
        byRoute = Dictionary(grouping: samples, by: \.route).map { Self.summarize(key: $0.key, $0.value[...]) }
            .sorted { $0.key < $1.key }
        byModel = Dictionary(grouping: samples, by: { $0.model ?? "" })
            .map { Self.summarize(key: $0.key, $0.value[...]) }.sorted { $0.key < $1.key }
    }

    /// Aggregates several instances' samples as one, plus a group per instance.
    package init(instances: [(instance: String, samples: [Sample])]) {
        self.init(samples: instances.flatMap(\.samples))
        byInstance = instances.map { Self.summarize(key: $0.instance, $0.samples[...]) }.sorted { $0.key < $1.key }
    }

    /// The nearest-rank percentile `p` (0…1) of an ascending array; 0 if empty.
    package static func percentile(_ p: Double, ofSorted sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func summarize(key: String, _ samples: ArraySlice<Sample>) -> Group {
        let latencies = samples.map(\.latencyMs).sorted()
        let errors = samples.count { $0.status >= 400 }
        let tokens = samples.reduce(0) { $0 + $1.tokens }
        let latencySeconds = latencies.reduce(0, +) / 1000
        return Group(
            key: key, count: samples.count, errors: errors, serverErrors: samples.count { $0.status >= 500 },
            errorRate: samples.isEmpty ? 0 : Double(errors) / Double(samples.count),
            p50LatencyMs: percentile(0.50, ofSorted: latencies), p90LatencyMs: percentile(0.90, ofSorted: latencies),
            p99LatencyMs: percentile(0.99, ofSorted: latencies), tokens: tokens,
            tokensPerSecond: latencySeconds > 0 ? Double(tokens) / latencySeconds : 0)
    }
}

extension RequestLogDatabase {
    /// Stats over requests matching `query` (its limit is ignored).
    package func stats(matching query: RequestQuery) throws -> RequestStats {
        RequestStats(samples: try statsSamples(matching: query))
    }
}
