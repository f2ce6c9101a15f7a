import HTTP
import Telemetry

/// The web console: its page and files (embedded in the binary, see `ConsoleAssets`) and the
/// per-second statistics its charts draw.
struct ConsoleHandlers: Sendable {
    let registry: ModelRegistry
    let live: LiveStats

    /// `GET /` and `GET /console`: the page.
    func page(_ request: HTTPRequest) async throws -> HTTPResponse {
        try file(named: ConsoleAssets.page)
    }

    /// `GET /console/{file}`: a script or style sheet the page loads.
    func asset(_ request: HTTPRequest) async throws -> HTTPResponse {
        try file(named: request.pathParameters["file"] ?? "")
    }

    /// `GET /admin/live-stats`: the last minutes second by second (`LiveStatsSnapshot`).
    func liveStats(_ request: HTTPRequest) async throws -> HTTPResponse {
        var response = HTTPResponse.json(live.snapshot(models: registry.all.map(\.name)))
        response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return response
    }

    private func file(named name: String) throws -> HTTPResponse {
        guard let text = ConsoleAssets.files[name], let type = ConsoleAssets.contentType(of: name) else {
            throw HTTPError(.notFound, message: "the console has no file '\(name)'", type: "not_found_error", code: "not_found")
        }
        var response = HTTPResponse.text(text, contentType: type)
        for (name, value) in ConsoleAssets.securityHeaders { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }
}
