/// The frozen router: dispatches by path then method.
///
/// - No path match: 404 JSON error. Path matches but not the method: 405 with `Allow`.
/// - HEAD with no HEAD route is answered by the GET route (the server drops the body).
/// - A thrown `HTTPResponseError` becomes its own error response; any other error a 500 that
///   names the request id. `renderError` (the application's) writes all of these.
package struct RouterResponder: HTTPResponder {
    private struct Entry: Sendable {
        var segments: [Router.Segment]
        /// The pattern as registered, e.g. `/v1/models/{id}` (the first one for these segments).
        var pattern: String
        var handlers: [HTTPMethod: RouteHandler]
        var order: [HTTPMethod]
    }

    /// Entries grouped by segment count; literal-only routes also in a dictionary by path.
    private let exact: [String: Int]
    private let entries: [Entry]
    private let renderError: HTTPErrorRenderer

    init(routes: [Router.Route], renderError: @escaping HTTPErrorRenderer) {
        self.renderError = renderError
        var entries: [Entry] = []
        for route in routes {
            if let i = entries.firstIndex(where: { $0.segments == route.segments }) {
                if entries[i].handlers[route.method] == nil { entries[i].order.append(route.method) }
                entries[i].handlers[route.method] = route.handler
            } else {
                entries.append(
                    Entry(segments: route.segments, pattern: route.pattern, handlers: [route.method: route.handler], order: [route.method]))
            }
        }
        // Literal segments before parameters, so "/v1/models/list" beats "/v1/models/{id}".
        entries.sort { a, b in
            let pa = a.segments.filter { if case .parameter = $0 { true } else { false } }.count
            let pb = b.segments.filter { if case .parameter = $0 { true } else { false } }.count
            return pa < pb
        }
        var exact: [String: Int] = [:]
        for (i, e) in entries.enumerated() where !e.segments.contains(where: { if case .parameter = $0 { true } else { false } }) {
            let key = "/" + e.segments.map { if case .literal(let s) = $0 { s } else { "" } }.joined(separator: "/")
            exact[key] = i
        }
        self.exact = exact
        self.entries = entries
    }

    package func respond(to request: HTTPRequest) async -> HTTPResponse {
        guard let (entry, parameters) = match(request.path) else {
            return renderError(
                HTTPError(.notFound, message: "no route for \(Truncation.cut(request.path))", type: "invalid_request_error", code: "not_found"))
        }
        var request = request
        request.pathParameters = parameters
        var handler = entry.handlers[request.method]
        if handler == nil && request.method == .HEAD { handler = entry.handlers[.GET] }
        guard let handler else {
            var allowed = entry.order.map(\.rawValue)
            if entry.handlers[.GET] != nil && entry.handlers[.HEAD] == nil { allowed.append("HEAD") }
            return renderError(
                HTTPError(
                    .methodNotAllowed,
                    message: "method \(Truncation.cut(request.method.rawValue)) not allowed for \(Truncation.cut(request.path))",
                    type: "invalid_request_error", code: "method_not_allowed",
                    extraHeaders: [("Allow", allowed.joined(separator: ", "))]))
        }
        do {
            return try await handler(request)
        } catch let error as any HTTPResponseError {
            return renderError(error)
        } catch {
            return renderError(
                HTTPError(
                    .internalServerError, message: "internal error (request id \(request.requestID))",
                    type: "server_error", code: "internal_error"))
        }
    }

    /// The pattern of the route `path` belongs to (e.g. `/v1/models/{id}`), whatever the method;
    /// nil when no route matches. A name for the request with few values, for metrics and logs.
    package func pattern(matching path: String) -> String? {
        match(path)?.0.pattern
    }

    private func match(_ path: String) -> (Entry, [String: String])? {
        let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if let i = exact[normalized] { return (entries[i], [:]) }
        let parts = Router.split(path)
        outer: for entry in entries where entry.segments.count == parts.count {
            var params: [String: String] = [:]
            for (segment, part) in zip(entry.segments, parts) {
                switch segment {
                case .literal(let s): if s != part { continue outer }
                case .parameter(let name): params[name] = HTTPRequest.percentDecode(part)
                }
            }
            return (entry, params)
        }
        return nil
    }
}
