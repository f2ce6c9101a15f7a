import Foundation
import Testing
@testable import HTTP

struct TeapotError: HTTPResponseError {
    var status: HTTPStatus { HTTPStatus(code: 418, reasonPhrase: "I'm a teapot") }
    var errorType: String { "teapot_error" }
    var errorMessage: String { "short and stout" }
    var errorCode: String? { "teapot" }
    var extraHeaders: [(String, String)] { [("Retry-After", "7")] }
}

struct Opaque: Error {}

@Suite struct RouterTests {
    func router() -> RouterResponder {
        var r = Router()
        r.on(.GET, "/v1/models") { _ in .text("list") }
        r.on(.GET, "/v1/models/{id}") { req in .text("model \(req.pathParameters["id"] ?? "")") }
        r.on(.DELETE, "/v1/models/{id}") { _ in HTTPResponse(status: .noContent) }
        r.on(.GET, "/v1/models/special") { _ in .text("special") }
        r.on(.GET, "/teapot") { _ in throw TeapotError() }
        r.on(.GET, "/boom") { _ in throw Opaque() }
        return r.freeze(renderingErrorsWith: testErrorRenderer)
    }

    func body(_ r: HTTPResponse) -> String {
        if case .bytes(let b) = r.body { return String(decoding: b, as: UTF8.self) }
        return "<stream>"
    }

    @Test func matchesLiteralsAndParameters() async {
        let r = router()
        #expect(body(await r.respond(to: HTTPRequest(method: .GET, target: "/v1/models"))) == "list")
        #expect(body(await r.respond(to: HTTPRequest(method: .GET, target: "/v1/models/"))) == "list")
        #expect(body(await r.respond(to: HTTPRequest(method: .GET, target: "/v1/models/a%20b?x=1"))) == "model a b")
        #expect(body(await r.respond(to: HTTPRequest(method: .GET, target: "/v1/models/special"))) == "special")
    }

    @Test func reportsThePatternMatched() {
        let r = router()
        #expect(r.pattern(matching: "/v1/models") == "/v1/models")
        #expect(r.pattern(matching: "/v1/models/") == "/v1/models")
        #expect(r.pattern(matching: "/v1/models/a%20b") == "/v1/models/{id}")
        #expect(r.pattern(matching: "/v1/models/special") == "/v1/models/special")
        #expect(r.pattern(matching: "/teapot") == "/teapot")
        #expect(r.pattern(matching: "/v1/models/a/b") == nil)
        #expect(r.pattern(matching: "/nothing") == nil)
    }

    @Test func notFoundAndMethodNotAllowed() async {
        let r = router()
        let missing = await r.respond(to: HTTPRequest(method: .GET, target: "/nope"))
        #expect(missing.status == .notFound)
        #expect(body(missing).contains(#""type":"invalid_request_error""#))
        let wrong = await r.respond(to: HTTPRequest(method: .POST, target: "/v1/models/x"))
        #expect(wrong.status == .methodNotAllowed)
        #expect(wrong.headers["allow"] == "GET, DELETE, HEAD")
    }

    @Test func headUsesGet() async {
        let r = router()
        let head = await r.respond(to: HTTPRequest(method: .HEAD, target: "/v1/models"))
        #expect(head.status == .ok)
    }

    @Test func errorsMapToJSON() async throws {
        let r = router()
        let teapot = await r.respond(to: HTTPRequest(method: .GET, target: "/teapot"))
        #expect(teapot.status.code == 418)
        #expect(teapot.headers["Retry-After"] == "7")
        let json = try JSONSerialization.jsonObject(with: Data(body(teapot).utf8)) as? [String: [String: String]]
        #expect(json?["error"] == ["message": "short and stout", "type": "teapot_error", "code": "teapot"])
        let boom = await r.respond(to: HTTPRequest(method: .GET, target: "/boom", requestID: "req-42"))
        #expect(boom.status == .internalServerError)
        #expect(body(boom).contains("req-42"))
    }

    @Test func queryItems() {
        let req = HTTPRequest(method: .GET, target: "/x?a=1&b=hello+world&c=%E2%9C%93&d")
        #expect(req.queryItems == ["a": "1", "b": "hello world", "c": "✓", "d": ""])
    }

    @Test func withoutARendererErrorsArePlainText() async {
        var r = Router()
        r.on(.GET, "/teapot") { _ in throw TeapotError() }
        let teapot = await r.freeze().respond(to: HTTPRequest(method: .GET, target: "/teapot"))
        #expect(teapot.status.code == 418)
        #expect(teapot.headers["Retry-After"] == "7")
        #expect(body(teapot) == "short and stout")
        let missing = await r.freeze().respond(to: HTTPRequest(method: .GET, target: "/nope"))
        #expect(missing.status == .notFound)
        #expect(body(missing) == "no route for /nope")
    }

    @Test func targetSplitting() {
        #expect(HTTPRequest.splitTarget("/a?b=1") == ("/a", "b=1"))
        #expect(HTTPRequest.splitTarget("/a") == ("/a", nil))
        #expect(HTTPRequest.splitTarget("/a?") == ("/a", ""))
        #expect(HTTPRequest.splitTarget("http://host") == ("/", nil))
        #expect(HTTPRequest.splitTarget("http://host?x") == ("/", "x"))
        #expect(HTTPRequest.splitTarget("https://host:8443/p/q?r") == ("/p/q", "r"))
        #expect(HTTPRequest.splitTarget("*") == ("*", nil))
    }

    @Test func sseEncoding() {
        let bytes = ServerSentEvents.encode(data: "a\nb", event: "tick", id: nil)
        #expect(String(decoding: bytes, as: UTF8.self) == "event: tick\ndata: a\ndata: b\n\n")
    }

    @Test func headersAreCaseInsensitive() {
        var h = HTTPHeaders()
        h.add(name: "X-A", value: "1")
        h.add(name: "x-a", value: "2")
        #expect(h["X-a"] == "1")
        h.replaceOrAdd(name: "X-A", value: "3")
        #expect(h.values(for: "x-a") == ["3"])
        h.remove(name: "x-A")
        #expect(h.count == 0)
    }
}
