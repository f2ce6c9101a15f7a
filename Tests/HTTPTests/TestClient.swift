#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
@testable import HTTP

/// A blocking TCP client for tests (receive timeout guards against hangs; no timing asserts).
final class TestClient: @unchecked Sendable {  // used by one task at a time
    let fd: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects to 127.0.0.1:`port`, from the loopback address `source` (e.g. "127.0.0.2", to
    /// play another client) when given.
    init(port: Int, source: String? = nil, receiveTimeoutSeconds: Int = 300) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var tv = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if let source {
            guard Self.withAddress(source, port: 0, { bind(fd, $0, $1) }) == 0 else {
                let e = errno
                Glibc.close(fd)
                throw Failure(description: "bind \(source): \(e)")
            }
        }
        let rc = Self.withAddress("127.0.0.1", port: port) { connect(fd, $0, $1) }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw Failure(description: "connect: \(e)")
        }
    }

    deinit {
        Glibc.close(fd)
    }

    /// Calls `body` with the IPv4 socket address `ip`:`port` and its length.
    private static func withAddress(_ ip: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr(ip)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes; false at EOF (or reset). Throws on timeout.
    func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "receive timed out") }
        return false  // ECONNRESET and friends count as closed
    }

    /// True when the server has closed the connection (reads EOF/reset after any buffered bytes).
    func isClosedByServer() throws -> Bool {
        while try fill() {}
        return true
    }

    /// Reads until the server closes; returns what arrived before (nothing for a silent close).
    func readUntilClosed() throws -> [UInt8] {
        while try fill() {}
        defer { buffer = [] }
        return buffer
    }

    func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Reads one response (Content-Length, chunked, or until close). `head` for HEAD requests.
    func readResponse(head: Bool = false) throws -> Response {
        let headEnd = try readUntil([13, 10, 13, 10])
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure(description: "bad status line: \(headText)")
        }
        let headers = lines.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "")
        }
        var response = Response(status: status, headers: headers, body: [])
        if head || status == 204 || status == 304 || (100..<200).contains(status) { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while buffer.count < length {
                guard try fill() else { throw Failure(description: "EOF in body") }
            }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let lineEnd = try readUntil([13, 10])
                let size = Int(String(decoding: buffer[0..<lineEnd], as: UTF8.self), radix: 16) ?? -1
                buffer.removeFirst(lineEnd + 2)
                guard size >= 0 else { throw Failure(description: "bad chunk size") }
                if size == 0 {
                    _ = try readUntil([13, 10])
                    buffer.removeFirst(2)
                    break
                }
                while buffer.count < size + 2 {
                    guard try fill() else { throw Failure(description: "EOF in chunk") }
                }
                response.body += buffer[0..<size]
                buffer.removeFirst(size + 2)
            }
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// Reads one SSE chunk of a chunked stream (the data of the next chunk), nil at the end.
    func readChunk() throws -> [UInt8]? {
        let lineEnd = try readUntil([13, 10])
        let size = Int(String(decoding: buffer[0..<lineEnd], as: UTF8.self), radix: 16) ?? -1
        buffer.removeFirst(lineEnd + 2)
        if size == 0 {
            _ = try readUntil([13, 10])  // the empty trailer section
            buffer.removeFirst(2)
            return nil
        }
        if size < 0 { throw Failure(description: "bad chunk size") }
        while buffer.count < size + 2 {
            guard try fill() else { throw Failure(description: "EOF in chunk") }
        }
        let data = Array(buffer[0..<size])
        buffer.removeFirst(size + 2)
        return data
    }

    /// Reads until `marker` is buffered; returns its index.
    private func readUntil(_ marker: [UInt8]) throws -> Int {
        var from = 0
        while true {
            if buffer.count >= marker.count {
                var i = from
                while i + marker.count <= buffer.count {
                    if buffer[i] == marker[0] && Array(buffer[i..<i + marker.count]) == marker { return i }
                    i += 1
                }
                from = max(0, buffer.count - marker.count + 1)
            }
            guard try fill() else { throw Failure(description: "EOF before response") }
        }
    }
}

/// Starts a server on 127.0.0.1:0 with `responder`, runs `body`, then shuts it down.
func withServer<T>(
    limits: HTTPLimits = HTTPLimits(), tls: TLSConfiguration? = nil, workers: Int = 2,
    onEvent: (@Sendable (HTTPServerEvent) -> Void)? = nil,
    responder: any HTTPResponder = testRouter(),
    _ body: (HTTPServer) async throws -> T
) async throws -> T {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, limits: limits, tls: tls)
    configuration.workerCount = workers
    configuration.onEvent = onEvent
    configuration.renderError = testErrorRenderer
    configuration.timerResolution = .milliseconds(50)
    var logger = Logger(label: "http-test")
    logger.logLevel = .error
    let server = HTTPServer(configuration: configuration, responder: responder, logger: logger)
    try await server.start()
    do {
        let result = try await body(server)
        await server.shutdown(drainDeadline: .seconds(5))
        return result
    } catch {
        await server.shutdown(drainDeadline: .seconds(1))
        throw error
    }
}

/// The router most server tests use.
func testRouter() -> RouterResponder {
    var router = Router()
    router.on(.GET, "/health") { _ in .text("ok") }
    router.on(.POST, "/echo") { request in
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: .bytes(request.body))
    }
    router.on(.GET, "/n/{value}") { request in .text(request.pathParameters["value"] ?? "?") }
    router.on(.GET, "/id") { request in .text(request.requestID) }
    return router.freeze(renderingErrorsWith: testErrorRenderer)
}

/// An application's error format, as the server's own: `{"error":{"message","type","code"}}`
/// in that order (LMServe's real one is Server's `ErrorResponses`, tested in ServerTests).
@Sendable func testErrorRenderer(_ error: any HTTPResponseError) -> HTTPResponse {
    func value(_ s: String?) -> String {
        (try? JSONEncoder().encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
    let body = #"{"error":{"message":"# + value(error.errorMessage) + #","type":"# + value(error.errorType)
        + #","code":"# + value(error.errorCode) + "}}"
    var response = HTTPResponse(
        status: error.status, headers: ["Content-Type": "application/json"], body: .bytes(Array(body.utf8)))
    for (name, value) in error.extraHeaders { response.headers.replaceOrAdd(name: name, value: value) }
    return response
}

/// Polls `condition` until true or ~300 s pass (a hang guard, not a timing assertion). For
/// state the server exposes only as a value (open connections, recorded callbacks), not an event.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<30_000 {
        if condition() { return true }
        // The poll interval: the conditions checked here have no event to wait on.
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A thread-safe counter/recorder for callbacks.
final class Recorder<T: Sendable>: @unchecked Sendable {  // items guarded by `lock`
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ item: T) { lock.withLock { items.append(item) } }
    var all: [T] { lock.withLock { items } }
}

/// Suspends until the task is cancelled, then throws `CancellationError`: a handler that nothing
/// but its cancellation ends (an AsyncStream that is never fed ends when its task is cancelled).
func suspendUntilCancelled() async throws {
    let (stream, continuation) = AsyncStream<Never>.makeStream()
    for await _ in stream {}
    withExtendedLifetime(continuation) {}
    throw CancellationError()
}
