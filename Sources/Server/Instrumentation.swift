import Foundation
import HTTP
import Telemetry

/// Wraps the router: every request leaves a log row and metrics, streamed ones when their
/// stream ends. Handlers report what they learned through the task-local `RequestTrace`.
struct InstrumentedResponder: HTTPResponder {
    let inner: any HTTPResponder
    let metrics: ServerMetrics
    let log: (any RequestLogSink)?
    let logText: Bool

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let trace = RequestTrace()
        let start = ContinuousClock.now
        let wallStart = Date().timeIntervalSince1970
        metrics.requestStarted()
        var response = await RequestTrace.$current.withValue(trace) { await inner.respond(to: request) }
        let route = Self.routeLabel(request.path)
        let status = response.status.code
        if status >= 400, trace.snapshot.errorType == nil, case .bytes(let body) = response.body {
            let type = Self.errorType(in: body)
            trace.update { $0.errorType = type }
        }
        let finish: @Sendable (Int) -> Void = { [metrics, log, logText] status in
            let seconds = (ContinuousClock.now - start).seconds
            let trace = trace.snapshot
            metrics.requestFinished()
            let model = trace.model ?? ""  // only served names: bounded label values
            metrics.recordRequest(route: route, model: model, status: status, durationSeconds: seconds)
            if let t = trace.timing, !model.isEmpty {
                metrics.recordQueueWait(model: model, seconds: t.queueSeconds)
                metrics.recordCompute(model: model, seconds: t.computeSeconds)
            }
            if !model.isEmpty {
                if trace.promptTokens > 0 { metrics.addTokens(model: model, kind: .prompt, count: trace.promptTokens) }
                if trace.completionTokens > 0 { metrics.addTokens(model: model, kind: .completion, count: trace.completionTokens) }
                if trace.scoredTokens > 0 { metrics.addTokens(model: model, kind: .scored, count: trace.scoredTokens) }
                if let ttft = trace.firstTokenSeconds { metrics.recordTimeToFirstToken(model: model, seconds: ttft) }
            }
            switch trace.errorType {
            case "overloaded_error": metrics.recordRejection(reason: "queue_full")
            case "timeout_error": metrics.recordRejection(reason: "timeout")
            default: break
            }
            log?.record(
                RequestRecord(
                    requestID: request.requestID, time: wallStart, route: route, model: trace.requestedModel, status: status,
                    errorType: trace.errorType, clientAddress: request.remoteAddress, latencyMs: seconds * 1000,
                    queueMs: trace.timing.map { $0.queueSeconds * 1000 }, computeMs: trace.timing.map { $0.computeSeconds * 1000 },
                    batchSize: trace.timing?.batchSize, promptTokens: trace.promptTokens,
                    completionTokens: trace.completionTokens, scoredTokens: trace.scoredTokens, perplexity: trace.perplexity,
                    promptText: logText ? trace.promptText : nil, outputText: logText ? trace.outputText : nil))
        }
        if case .stream(let write) = response.body {
            response.body = .stream { writer in
                do {
                    try await write(writer)
                } catch {
                    trace.update { if $0.errorType == nil { $0.errorType = "client_disconnected" } }
                    finish(499)
                    throw error
                }
                finish(status)
            }
            return response
        }
        finish(status)
        return response
    }

    /// The route template a path belongs to (low-cardinality metric label).
    static func routeLabel(_ path: String) -> String {
        switch path {
        case "/v1/perplexity", "/v1/completions", "/v1/models", "/health", "/ready", "/metrics", "/admin/requests",
            "/admin/live-stats":
            return path
        case "/", "/console":
            return "/console"
        default:
            if path.hasPrefix("/v1/models/") { return "/v1/models/{id}" }
            if path.hasPrefix("/console/") { return "/console/{file}" }
            return "other"
        }
    }

    /// The `error.type` of a JSON error body, if it is one.
    static func errorType(in body: [UInt8]) -> String? {
        struct Envelope: Decodable {
            struct Detail: Decodable { var type: String? }
            var error: Detail
        }
        return (try? JSONDecoder().decode(Envelope.self, from: Data(body)))?.error.type
    }
}
