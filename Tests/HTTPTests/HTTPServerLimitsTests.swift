#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import HTTP

/// Malformed and oversized requests, timeouts and capacity, over real sockets.
@Suite(.serialized) struct HTTPServerLimitsTests {
    static let cases: [(name: String, request: String, status: Int)] = [
        ("obs-fold", "GET /health HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400),
        ("space before colon", "GET /health HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        ("CL and TE", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("duplicate CL", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
        ("bare LF", "GET /health HTTP/1.1\nHost: t\n\n", 400),
        ("no Host", "GET /health HTTP/1.1\r\n\r\n", 400),
        ("garbage", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}", 400),
        ("bad chunk", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400),
        ("HTTP/2.0", "GET /health HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        ("gzip coding", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("huge header", "GET /health HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "a", count: 5000) + "\r\n\r\n", 431),
        ("long request line", "GET /" + String(repeating: "a", count: 3000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 431),
        ("too many fields", "GET /health HTTP/1.1\r\nHost: t\r\n" + (0..<40).map { "X-\($0): 1\r\n" }.joined() + "\r\n", 431),
        ("body too large", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 70000\r\n\r\n" + String(repeating: "z", count: 100), 413),
        ("chunked too large", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n" + String(repeating: "z", count: 100), 413),
    ]

    static func limits() -> HTTPLimits {
        var l = HTTPLimits()
        l.maxHeaderBytes = 4096
        l.maxRequestLineLength = 2048
        l.maxHeaderCount = 32
        l.maxBodyBytes = 65536
        return l
    }

    @Test(arguments: 0..<cases.count)
    func rejectsWithStatusThenStaysHealthy(_ index: Int) async throws {
        let c = Self.cases[index]
        let rejections = Recorder<Int>()
        try await withServer(limits: Self.limits(), onEvent: { event in
            if case .rejected(let status, _, _, _) = event { rejections.append(status.code) }
        }) { server in
            let port = server.boundPort
            try await offPool {
                // A good request first, so the bad one is not the connection's first.
                let client = try TestClient(port: port)
                try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                try client.send(c.request)
                let r = try client.readResponse()
                #expect(r.status == c.status, "\(c.name)")
                #expect(r.header("Connection")?.lowercased() == "close", "\(c.name)")
                #expect((r.header("X-Request-Id") ?? "").isEmpty == false, "\(c.name)")
                #expect(r.text.hasPrefix(#"{"error":{"message":"#), "\(c.name)")
                #expect(try client.isClosedByServer(), "\(c.name)")

                let after = try TestClient(port: port)
                try after.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try after.readResponse().text == "ok", "\(c.name)")
            }
            #expect(rejections.all == [c.status])
        }
    }

    @Test func slowHeaderClientIsCutOffAtTheTimeout() async throws {
        var limits = HTTPLimits()
        limits.headerReadTimeout = .seconds(2)
        try await withServer(limits: limits) { server in
            let port = server.boundPort
            let request = Array("GET /health HTTP/1.1\r\nHost: t\r\nUser-Agent: a-very-slow-client\r\n\r\n".utf8)
            let (sent, status) = try await offPool { () -> (Int, Int) in
                let client = try TestClient(port: port)
                var sent = 0
                while sent < request.count {
                    try client.send([request[sent]])
                    sent += 1
                    // Wait one second for a reply before sending the next byte.
                    var pfd = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                    if poll(&pfd, 1, 1000) > 0 { break }
                }
                return (sent, try client.readResponse().status)
            }
            #expect(status == 408)
            #expect(sent < request.count)
            #expect(sent >= 2)
        }
    }

    @Test func idleKeepAliveConnectionsAreClosed() async throws {
        var limits = HTTPLimits()
        limits.idleTimeout = .seconds(1)
        try await withServer(limits: limits) { server in
            let port = server.boundPort
            try await offPool {
                let client = try TestClient(port: port)
                try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                #expect(try client.isClosedByServer())
            }
            #expect(await eventually { server.openConnectionCount == 0 })
        }
    }

    @Test func overCapacityGets503ThenRecovers() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 2
        let overCapacity = Recorder<String>()
        try await withServer(limits: limits, onEvent: { event in
            if case .overCapacity(let remote) = event { overCapacity.append(remote) }
        }) { server in
            let port = server.boundPort
            let (a, b) = try await offPool { () -> (TestClient, TestClient) in
                let a = try TestClient(port: port), b = try TestClient(port: port)
                for c in [a, b] {
                    try c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                    #expect(try c.readResponse().status == 200)
                    // Halfway through a next request (its 100 Continue says the server has the
                    // head): not idle, so not closed to make room for the third.
                    try c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
                    #expect(try c.readResponse().status == 100)
                }
                let third = try TestClient(port: port)
                let r = try third.readResponse()
                #expect(r.status == 503)
                #expect(try third.isClosedByServer())
                return (a, b)
            }
            #expect(overCapacity.all.count == 1)
            _ = b
            try await offPool { a.shutdownWrite() }
            #expect(await eventually { server.openConnectionCount <= 1 })
            try await offPool {
                let again = try TestClient(port: port)
                try again.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try again.readResponse().status == 200)
            }
        }
    }

    @Test func backlogModeQueuesInsteadOfRejecting() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 1
        limits.rejectOverCapacity = false
        try await withServer(limits: limits) { server in
            let port = server.boundPort
            try await offPool {
                let first = try TestClient(port: port)
                try first.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try first.readResponse().status == 200)
                // The second connects (kernel backlog) and is served once the first closes.
                let second = try TestClient(port: port)
                try second.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                var pfd = pollfd(fd: second.fd, events: Int16(POLLIN), revents: 0)
                #expect(poll(&pfd, 1, 300) == 0)
                try first.send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                #expect(try first.readResponse().status == 200)
                #expect(try second.readResponse().status == 200)
            }
        }
    }
}

/// Slow bodies and readers that stop reading.
@Suite(.serialized) struct HTTPServerSlowPeerTests {
    @Test func slowBodyGets408() async throws {
        var limits = HTTPLimits()
        limits.bodyReadTimeout = .seconds(1)
        try await withServer(limits: limits) { server in
            let port = server.boundPort
            try await offPool {
                let client = try TestClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part")
                let r = try client.readResponse()
                #expect(r.status == 408)
                #expect(try client.isClosedByServer())
            }
        }
    }

    @Test func readerThatStopsReadingIsDroppedAtTheWriteTimeout() async throws {
        var limits = HTTPLimits()
        limits.writeTimeout = .seconds(1)
        let outcome = Recorder<String>()
        let chunk = [UInt8](repeating: 0x62, count: 64 * 1024)
        var router = Router()
        router.on(.GET, "/flood") { _ in
            HTTPResponse(body: .stream { writer in
                do {
                    while true { try await writer.write(chunk) }
                } catch {
                    outcome.append(error is HTTPServerError ? "closed" : error is CancellationError ? "cancelled" : "\(error)")
                    throw error
                }
            })
        }
        try await withServer(limits: limits, responder: router.freeze()) { server in
            let port = server.boundPort
            let client = try await offPool { () -> TestClient in
                let c = try TestClient(port: port)
                try c.send("GET /flood HTTP/1.1\r\nHost: t\r\n\r\n")
                return c  // and never read
            }
            #expect(await eventually { outcome.all.count == 1 })
            #expect(await eventually { server.openConnectionCount == 0 })
            _ = client
        }
    }
}
