// A tiny echo server on the HTTP module, for wrk benchmarks (Benchmarks/http-wrk.sh).
//   GET /health -> "ok";  POST /echo -> the request body;  GET /sleep?ms=N -> answers after N ms;
//   SIGTERM/SIGINT -> graceful shutdown (in-flight requests finish, 5 s deadline), exit 0.
// Usage: lmserve-http-bench [port] [workers]
import Foundation
import HTTP
import Logging

let arguments = CommandLine.arguments
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: arguments.count > 1 ? Int(arguments[1]) ?? 8080 : 8080)
if arguments.count > 2, let workers = Int(arguments[2]) { configuration.workerCount = workers }
configuration.limits.maxConnections = 20_000
configuration.limits.idleTimeout = .seconds(600)

var router = Router()
let ok: [UInt8] = Array("ok".utf8)
router.on(.GET, "/health") { _ in HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: .bytes(ok)) }
router.on(.POST, "/echo") { request in
    HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: .bytes(request.body))
}
router.on(.GET, "/sleep") { request in
    let ms = Int(request.queryItems["ms"] ?? "") ?? 1000
    try await Task.sleep(for: .milliseconds(min(ms, 60_000)))
    return .text("slept \(ms) ms")
}
var logger = Logger(label: "lmserve-http-bench")
logger.logLevel = .warning
let server = HTTPServer(configuration: configuration, responder: router.freeze(), logger: logger)
// Installed before start so a SIGTERM right after "listening" is not lost.
let signals = SignalHandling { _ in
    Task {
        await server.shutdown(drainDeadline: .seconds(5))
        exit(0)
    }
}
try await server.start()
FileHandle.standardOutput.write(Data("listening on \(server.boundPort)\n".utf8))
await server.waitUntilStopped()
_ = signals
