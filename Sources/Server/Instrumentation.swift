import Batching
import Foundation
import HTTP
import Synchronization
import Telemetry

/// Wraps the router: every request leaves a log row and metrics, streamed ones when their
/// stream ends. Handlers report what they learned through the task-local `RequestTrace`; the
/// router names the route matched and (through `tracing`) the error a request failed with.
struct InstrumentedResponder: HTTPResponder {
    let router: RouterResponder
    /// Checked before the router: keys, scopes, and admin routes off when unsafe.
    let access: AccessPolicy
    /// Rate limits per tenant, after the access check.
    let limiter: RateLimiter
    let metrics: ServerMetrics
    let log: (any RequestLogSink)?
    let logText: Bool
    /// Renders the access check's refusals as the router renders its errors.
    let renderError: HTTPErrorRenderer
    let drainDeadline: DrainDeadline

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let trace = RequestTrace()
        let start = ContinuousClock.now
        let wallStart = Date().timeIntervalSince1970
        metrics.requestStarted()
        let checked = access.check(request)
        var response = await RequestTrace.$current.withValue(trace) { () async -> HTTPResponse in
            switch checked {
            case .failure(let refusal): return renderError(refusal)
            case .success(let grant): return await respond(to: request, grant, trace)
            }
        }
        let grant = try? checked.get()
        let tenant = RequestTenant.of(request, trace: trace)
        let route = router.pattern(matching: request.path) ?? "other"  // few values: a metric label
        let status = response.status.code
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
            if let grant, !grant.isOpen {
                limiter.charge(tenant: tenant, key: grant.key, tokens: trace.scoredTokens + trace.completionTokens)
            }
            switch trace.error as? BatchingError {
            case .queueFull: metrics.recordRejection(reason: "queue_full")
            case .timedOut: metrics.recordRejection(reason: "timeout")
            case .shuttingDown, .cutByShutdown, nil: break
            }
            log?.record(
                RequestRecord(
                    requestID: request.requestID, time: wallStart, route: route, model: Truncation.cut(trace.requestedModel), status: status,
                    errorType: trace.error?.errorType, clientAddress: request.remoteAddress, latencyMs: seconds * 1000,
                    queueMs: trace.timing.map { $0.queueSeconds * 1000 }, computeMs: trace.timing.map { $0.computeSeconds * 1000 },
                    batchSize: trace.timing?.batchSize, promptTokens: trace.promptTokens,
                    completionTokens: trace.completionTokens, scoredTokens: trace.scoredTokens, perplexity: trace.perplexity,
                    promptText: logText ? trace.promptText : nil, outputText: logText ? trace.outputText : nil,
                    keyName: trace.keyName, modelVersion: trace.modelVersion))
        }
        if case .stream(let write) = response.body {
            response.body = .stream { [drainDeadline] writer in
                do {
                    try await write(writer)
                } catch {
                    // Cut by the server's shutdown (503), or the client left (499).
                    if drainDeadline.passed {
                        trace.fail(with: BatchingError.cutByShutdown)
                        finish(BatchingError.cutByShutdown.status.code)
                    } else {
                        trace.fail(with: CancellationError())
                        finish(499)
                    }
                    throw error
                }
                // A stream that ended with an error event is logged with that error's status.
                finish(trace.snapshot.error?.status.code ?? status)
            }
            return response
        }
        finish(status)
        return response
    }

    /// The router's answer to a request the access check let through, unless its tenant is over
    /// a rate limit (429); with the rate-limit headers when a limit applies.
    private func respond(to request: HTTPRequest, _ grant: AccessPolicy.Grant, _ trace: RequestTrace) async -> HTTPResponse {
        if let key = grant.key {
            trace.update { $0.keyName = key.name }
            metrics.recordKeyRequest(key: key.name)
        }
        guard !grant.isOpen else { return await router.respond(to: request) }
        switch limiter.admit(tenant: RequestTenant.of(request, trace: trace), key: grant.key) {
        case nil:
            return await router.respond(to: request)
        case .refused(let error, let limit):
            metrics.recordRateLimited(key: grant.key?.name ?? "anonymous", limit: limit)
            return renderError(error)
        case .admitted(let headers):
            var response = await router.respond(to: request)
            for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        }
    }

    /// `render`, recording the error in the request's trace first: the router renders every
    /// error a request ends with (a handler's, its own 404/405/500) inside `respond(to:)`.
    static func tracing(_ render: @escaping HTTPErrorRenderer) -> HTTPErrorRenderer {
        { error in
            RequestTrace.current?.fail(with: error)
            return render(error)
        }
    }
}

/// Whether the server's drain deadline has passed (set once, read by every streamed request).
final class DrainDeadline: Sendable {
    private let value = Mutex(false)

    var passed: Bool { value.withLock { $0 } }
    func pass() { value.withLock { $0 = true } }
}
