import Foundation
import Testing
@testable import HTTP

/// End-to-end tests over real sockets on 127.0.0.1 (port 0).
@Suite(.serialized) struct HTTPServerTests {
    @Test func tenThousandSequentialKeepAliveRequests() async throws {
        try await withServer { server in
            let port = server.boundPort
            #expect(port > 0)
            let statuses = try await offPool { () -> [Int: Int] in
                let client = try TestClient(port: port)
                var counts: [Int: Int] = [:]
                for _ in 0..<10_000 {
                    try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                    let r = try client.readResponse()
                    counts[r.status, default: 0] += 1
                    if r.text != "ok" { counts[-1, default: 0] += 1 }
                }
                return counts
            }
            #expect(statuses == [200: 10_000])
        }
    }

    @Test func twoHundredPipelinedRequestsAnsweredInOrder() async throws {
        try await withServer { server in
            let port = server.boundPort
            let bodies = try await offPool { () -> [String] in
                let client = try TestClient(port: port)
                let all = (0..<200).map { "GET /n/\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined()
                try client.send(all)
                return try (0..<200).map { _ in try client.readResponse().text }
            }
            #expect(bodies == (0..<200).map { "\($0)" })
        }
    }

    @Test func deepPipelineIsPausedAndResumedInOrder() async throws {
        var limits = HTTPLimits()
        limits.maxPipelinedRequests = 4
        try await withServer(limits: limits) { server in
            let port = server.boundPort
            let bodies = try await offPool { () -> [String] in
                let client = try TestClient(port: port)
                let all = (0..<3000).map { "GET /n/\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined()
                try client.send(all)
                return try (0..<3000).map { _ in try client.readResponse().text }
            }
            #expect(bodies == (0..<3000).map { "\($0)" })
        }
    }

    @Test func thousandConcurrentConnections() async throws {
        raiseDescriptorLimit()
        let opened = Recorder<Int>()
        try await withServer(onEvent: { event in
            if case .connectionOpened = event { opened.append(1) }
        }) { server in
            let port = server.boundPort
            // 8 threads × 125 connections, all opened before any request is sent.
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await offPool {
                            let clients = try (0..<125).map { _ in try TestClient(port: port) }
                            for (i, c) in clients.enumerated() { try c.send("GET /n/\(i) HTTP/1.1\r\nHost: t\r\n\r\n") }
                            return try clients.enumerated().map { i, c in
                                let r = try c.readResponse()
                                return r.status == 200 && r.text == "\(i)" ? 1 : 0
                            }
                        }
                    }
                }
                var all: [Int] = []
                for try await r in group { all += r }
                return all
            }
            #expect(results.count == 1000)
            #expect(results.allSatisfy { $0 == 1 })
            #expect(opened.all.count == 1000)
        }
    }

    actor Tally {
        var count = 0
        func bump() -> Int {
            count += 1
            return count
        }
    }

    @Test func respondersThatHopToActorsComeBackToTheLoop() async throws {
        let tally = Tally()
        var router = Router()
        router.on(.GET, "/hop") { _ in
            let n = await tally.bump()
            let m = await MainActor.run { n }
            return .text("\(m)")
        }
        try await withServer(responder: router.freeze()) { server in
            let port = server.boundPort
            let last = try await offPool { () -> String in
                let client = try TestClient(port: port)
                var last = ""
                for _ in 0..<500 {
                    try client.send("GET /hop HTTP/1.1\r\nHost: t\r\n\r\nGET /hop HTTP/1.1\r\nHost: t\r\n\r\n")
                    _ = try client.readResponse()
                    last = try client.readResponse().text
                }
                return last
            }
            #expect(last == "1000")
        }
    }

    @Test func chunkedRequestBodiesOfManySizes() async throws {
        let sizes = [0, 1, 2, 8191, 8192, 8193, 16383, 16384, 16385, 65537, 1 << 20]
        try await withServer { server in
            let port = server.boundPort
            let ok = try await offPool { () -> [Bool] in
                let client = try TestClient(port: port)
                return try sizes.map { size in
                    let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
                    var wire = Array("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                    var offset = 0
                    var chunk = 1
                    while offset < size {
                        let n = min(chunk, size - offset)
                        wire += Array(String(n, radix: 16).utf8) + [13, 10] + body[offset..<offset + n] + [13, 10]
                        offset += n
                        chunk = chunk * 3 + 1  // 1, 4, 13, 40, ... crosses every boundary
                    }
                    wire += Array("0\r\n\r\n".utf8)
                    try client.send(wire)
                    let r = try client.readResponse()
                    return r.status == 200 && r.body == body
                }
            }
            #expect(ok == sizes.map { _ in true })
        }
    }

    @Test func contentLengthEchoAndRequestIDs() async throws {
        try await withServer { server in
            let port = server.boundPort
            try await offPool {
                let client = try TestClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nX-Request-Id: abc-123\r\n\r\nhello")
                let r = try client.readResponse()
                #expect(r.text == "hello")
                #expect(r.header("X-Request-Id") == "abc-123")
                try client.send("GET /id HTTP/1.1\r\nHost: t\r\nX-Request-Id: bad id with spaces\r\n\r\n")
                let generated = try client.readResponse()
                #expect(generated.text != "bad id with spaces")
                #expect(generated.header("X-Request-Id") == generated.text)
                #expect(generated.header("Date") != nil)
            }
        }
    }

    @Test func headHttp10AndExpectContinue() async throws {
        try await withServer { server in
            let port = server.boundPort
            try await offPool {
                let client = try TestClient(port: port)
                try client.send("HEAD /health HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readResponse(head: true)
                #expect(head.status == 200)
                #expect(head.header("Content-Length") == "2")
                // Same connection still in sync: the HEAD response carried no body.
                try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try client.readResponse().text == "ok")

                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
                let interim = try client.readResponse()
                #expect(interim.status == 100)
                try client.send("ping")
                #expect(try client.readResponse().text == "ping")

                let old = try TestClient(port: port)
                try old.send("GET /health HTTP/1.0\r\n\r\n")
                let r = try old.readResponse()
                #expect(r.status == 200 && r.text == "ok")
                #expect(r.header("Connection")?.lowercased() == "close")
                #expect(try old.isClosedByServer())

                let keep = try TestClient(port: port)
                for _ in 0..<2 {
                    try keep.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    let k = try keep.readResponse()
                    #expect(k.text == "ok" && k.header("Connection")?.lowercased() == "keep-alive")
                }
            }
        }
    }

    @Test func connectionCloseAndMaxRequestsPerConnection() async throws {
        var limits = HTTPLimits()
        limits.maxRequestsPerConnection = 3
        try await withServer(limits: limits) { server in
            let port = server.boundPort
            try await offPool {
                let client = try TestClient(port: port)
                for i in 0..<3 {
                    try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                    let r = try client.readResponse()
                    #expect(r.status == 200)
                    #expect((r.header("Connection")?.lowercased() == "close") == (i == 2))
                }
                #expect(try client.isClosedByServer())

                let other = try TestClient(port: port)
                try other.send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                #expect(try other.readResponse().header("Connection")?.lowercased() == "close")
                #expect(try other.isClosedByServer())
            }
        }
    }
}
