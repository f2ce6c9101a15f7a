/// A route handler: gets the request (with `pathParameters` filled in) and returns a response
/// or throws (an `HTTPResponseError` picks its status; anything else becomes a 500).
package typealias RouteHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

/// Collects routes (method + path pattern), then freezes into an immutable `RouterResponder`.
///
/// Patterns are literal segments and `{name}` parameters: `"/v1/models/{id}"`. A parameter
/// matches exactly one non-empty segment; literal segments win over parameters.
package struct Router: Sendable {
    struct Route: Sendable {
        var method: HTTPMethod
        var segments: [Segment]
        var pattern: String
        var handler: RouteHandler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    var routes: [Route] = []

    package init() {}

    /// Adds a route. A later route with the same method and pattern replaces an earlier one.
    package mutating func on(_ method: HTTPMethod, _ path: String, _ handler: @escaping RouteHandler) {
        let segments = Self.split(path).map { s -> Segment in
            if s.hasPrefix("{") && s.hasSuffix("}") && s.count > 2 {
                return .parameter(String(s.dropFirst().dropLast()))
            }
            return .literal(String(s))
        }
        routes.removeAll { $0.method == method && $0.segments == segments }
        routes.append(Route(method: method, segments: segments, pattern: path, handler: handler))
    }

    /// The immutable responder for these routes; `renderError` turns the router's own 404/405,
    /// a thrown `HTTPResponseError` and the 500 for any other error into responses.
    package func freeze(renderingErrorsWith renderError: @escaping HTTPErrorRenderer = HTTPResponse.plainTextError)
        -> RouterResponder
    {
        RouterResponder(routes: routes, renderError: renderError)
    }

    static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
