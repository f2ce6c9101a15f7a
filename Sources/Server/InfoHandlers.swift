import Batching
import Foundation
import HTTP
import Telemetry

/// Liveness, readiness, the model list, `/metrics` and the request log query.
struct InfoHandlers: Sendable {
    let registry: ModelRegistry
    let metrics: ServerMetrics
    /// The request log's file, when the store is on.
    let databasePath: String?

    func health(_ request: HTTPRequest) async throws -> HTTPResponse {
        .json(["status": "ok"])
    }

    func ready(_ request: HTTPRequest) async throws -> HTTPResponse {
        if registry.isDraining { throw BatchingError.shuttingDown }
        guard registry.isReady else { throw APIError.notReady }
        return .json(["status": "ready"])
    }

    /// Every model in every state (loading, ready, failed, draining).
    func models(_ request: HTTPRequest) async throws -> HTTPResponse {
        .json(ModelList(data: registry.entriesSnapshot.map { ModelInfo(name: $0.name, entry: $0.entry) }))
    }

    func model(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = request.pathParameters["id"] ?? ""
        guard let entry = registry.entry(named: name) else {
            throw registry.isStarted ? APIError.modelNotFound(name) : APIError.notReady
        }
        return .json(ModelInfo(name: name, entry: entry))
    }

    func metricsText(_ request: HTTPRequest) async throws -> HTTPResponse {
        for model in registry.all { metrics.setQueueDepth(model: model.name, model.engine.queueDepth) }
        var response = HTTPResponse(status: .ok, body: .bytes(Array(metrics.render().utf8)))
        response.headers.replaceOrAdd(name: "Content-Type", value: ServerMetrics.contentType)
        return response
    }

    /// `GET /admin/requests?since=1h&model=…&route=…&status=5xx&limit=100` — the same query as
    /// `lmserve logs`, as a JSON array. Kept in one handler so an admin key can guard it.
    func adminRequests(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let path = databasePath else {
            throw HTTPError(
                .notFound, message: "the request log is off (start the server with --db FILE)", type: "not_found_error", code: "log_disabled")
        }
        let query = try RequestQuery(parameters: request.queryItems, now: Date().timeIntervalSince1970)
        let rows = try await Self.offLoop {
            let reader = try RequestLogReader(path: path)
            defer { reader.close() }
            return try reader.requests(matching: query)
        }
        var response = HTTPResponse(status: .ok, body: .bytes(Array(RequestLogJSON.array(rows))))
        response.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return response
    }

    /// Where the SQLite queries of `/admin/requests` run: blocking file I/O must not occupy the
    /// event loop the handler's Task prefers as executor (other connections share it).
    private static let queryQueue = DispatchQueue(label: "lmserve.admin-requests")

    /// Runs `work` on `queryQueue` and suspends (without blocking) until it finishes.
    private static func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queryQueue.async { continuation.resume(with: Result(catching: work)) }
        }
    }
}
