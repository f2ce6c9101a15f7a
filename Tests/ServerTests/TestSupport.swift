import Batching
import Foundation
import HTTP
import LMServeTools
import Logging
import Testing
@testable import Server

/// Paths of the shared golden data (read in place).
enum Shared {
    static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["LMSERVE_SHARED"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}

/// A temporary directory removed when the value goes away.
final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lmserve-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// An in-process server on 127.0.0.1, port 0.
struct RunningServer {
    let server: LMServer
    var port: Int { server.port }

    /// A server with the small `edge.arpa` model logging to `database`, configured further by
    /// `configure`.
    static func edge(
        loggingTo database: String, rateLimitClock: any SchedulerClock = SystemSchedulerClock(),
        _ configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> RunningServer {
        try await start(rateLimitClock: rateLimitClock) { c in
            c.models = [.init(name: "edge", path: Shared.path("reference/kenlm/edge.arpa"))]
            c.database = database
            configure(&c)
        }
    }

    static func start(
        rateLimitClock: any SchedulerClock = SystemSchedulerClock(), _ configure: (inout ServerConfiguration) -> Void
    ) async throws -> RunningServer {
        var c = ServerConfiguration()
        c.port = 0
        c.database = ""
        c.metricsSampleIntervalSeconds = 0
        configure(&c)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = try LMServer(configuration: c, logger: logger, rateLimitClock: rateLimitClock)
        try await server.start()
        return RunningServer(server: server)
    }

    func client() throws -> HTTPClient { try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds) }

    func post(_ path: String, _ json: String) throws -> HTTPClient.Response {
        try client().post(path, json: json)
    }

    func get(_ path: String) throws -> HTTPClient.Response { try client().request("GET", path) }

    func stop() async { await server.shutdown() }
}

/// Parses a JSON body into Foundation objects.
func json(_ response: HTTPClient.Response) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
        throw HTTPClient.Failure(description: "not a JSON object: \(response.text)")
    }
    return object
}

/// `{"error": {"type", "code"}}` of an error response.
func errorCode(_ response: HTTPClient.Response) -> String? {
    ((try? json(response))?["error"] as? [String: Any])?["code"] as? String
}

/// Builds a JSON request body from a dictionary.
func body(_ object: [String: Any]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// One server with the KenLM 3-gram and the edge model, shared by read-only tests.
actor SharedServer {
    static let shared = SharedServer()
    private var running: RunningServer?

    func get() async throws -> RunningServer {
        if let running { return running }
        let s = try await RunningServer.start { c in
            c.models = [
                .init(name: "kjv3", path: Shared.path("reference/kenlm/kjv3.arpa.gz")),
                .init(name: "edge", path: Shared.path("reference/kenlm/edge.arpa")),
            ]
            c.limits.maxTokens = 64
            c.limits.maxChoices = 4
        }
        running = s
        return s
    }
}

/// How long a test client waits for an answer before it gives up: a hang guard far above any
/// request's real duration on a slow or busy machine, never a timing assertion.
let hangGuardSeconds = 600

/// Runs blocking client calls on a thread of their own: on the cooperative pool (one thread per
/// core) a few of them would stall every task, the server's own waits included.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in Thread.detachNewThread { c.resume(with: Result { try body() }) } }
}
