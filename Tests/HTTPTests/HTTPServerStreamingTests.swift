#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import HTTP

/// Streaming, disconnects and graceful shutdown over real sockets.
@Suite(.serialized) struct HTTPServerStreamingTests {
    @Test func sseEventsArriveOneByOne() async throws {
        let gates = (0..<5).map { _ in Gate() }
        var router = Router()
        router.on(.GET, "/events") { _ in
            .eventStream { events in
                for i in 0..<5 {
                    try await events.send(data: "event \(i)", event: "tick")
                    // The next event is produced only after the client has seen this one.
                    guard await gates[i].waitAsync() else { throw CancellationError() }
                }
            }
        }
        try await withServer(responder: router.freeze()) { server in
            let port = server.boundPort
            let seen = try await offPool { () -> [String] in
                let client = try TestClient(port: port)
                try client.send("GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n")
                let head = try client.readResponse(head: true)
                #expect(head.header("Content-Type") == "text/event-stream")
                #expect(head.header("Transfer-Encoding") == "chunked")
                var seen: [String] = []
                for i in 0..<5 {
                    guard let chunk = try client.readChunk() else { break }
                    seen.append(String(decoding: chunk, as: UTF8.self))
                    gates[i].open()
                }
                #expect(try client.readChunk() == nil)
                return seen
            }
            #expect(seen == (0..<5).map { "event: tick\ndata: event \($0)\n\n" })
        }
    }

    @Test func disconnectMidStreamFreesTheConnectionAndStopsTheWriter() async throws {
        let ended = Recorder<String>()
        var router = Router()
        router.on(.GET, "/forever") { _ in
            .eventStream { events in
                do {
                    var i = 0
                    while true {
                        try await events.send(data: "\(i)")
                        i += 1  // unpaced: backpressure holds the writer once the client stops reading
                    }
                } catch {
                    ended.append(error is CancellationError ? "cancelled" : "\(error)")
                    throw error
                }
            }
        }
        try await withServer(responder: router.freeze()) { server in
            let port = server.boundPort
            try await offPool {
                let client = try TestClient(port: port)
                try client.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readResponse(head: true)
                _ = try client.readChunk()
                _ = try client.readChunk()
            }  // client deinit closes the socket
            #expect(await eventually { ended.all.count == 1 })
            #expect(await eventually { server.openConnectionCount == 0 })
        }
    }

    @Test func disconnectDuringRespondCancelsTheHandlerTask() async throws {
        let started = Gate()
        let outcome = Recorder<String>()
        var router = Router()
        router.on(.GET, "/slow") { _ in
            started.open()
            do {
                // Stands for a handler that takes long; only its cancellation ends it.
                try await suspendUntilCancelled()
                outcome.append("finished")
            } catch {
                outcome.append(error is CancellationError ? "cancelled" : "\(error)")
            }
            return .text("late")
        }
        try await withServer(responder: router.freeze()) { server in
            let port = server.boundPort
            try await offPool {
                let client = try TestClient(port: port)
                try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(started.wait())
            }
            #expect(await eventually { outcome.all == ["cancelled"] })
            #expect(await eventually { server.openConnectionCount == 0 })
        }
    }

    @Test func slowReaderGetsEverythingWithBoundedBuffering() async throws {
        let peak = Recorder<Int>()
        let backpressured = Gate()
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        let total = 32 << 20
        var limits = HTTPLimits()
        limits.writeHighWatermark = 256 * 1024
        var router = Router()
        router.on(.GET, "/big") { _ in
            HTTPResponse(body: .stream { writer in
                var maxBuffered = 0
                for _ in 0..<(total / chunk.count) {
                    try await writer.write(chunk)
                    // On the connection's loop (the handler's executor), so reading its buffer is safe.
                    if let w = writer as? ConnectionBodyWriter {
                        maxBuffered = max(maxBuffered, w.connection.bufferedOutput)
                        if w.connection.bufferedOutput > 0 { backpressured.open() }
                    }
                }
                backpressured.open()
                peak.append(maxBuffered)
            })
        }
        try await withServer(limits: limits, responder: router.freeze()) { server in
            let port = server.boundPort
            let received = try await offPool { () -> Int in
                let client = try TestClient(port: port)
                var size: Int32 = 16 * 1024
                setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                try client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readResponse(head: true)
                // The slow reader this test is about: it reads nothing until the writer has met a
                // full socket (output waiting in user space), then everything.
                #expect(backpressured.wait())
                var received = 0
                while let data = try client.readChunk() {
                    received += data.count
                    #expect(data.allSatisfy { $0 == 0x61 })
                }
                return received
            }
            #expect(received == total)
            #expect(peak.all.count == 1)
            // Never more than the watermark plus one chunk (with framing) waits in user space.
            #expect((peak.all.first ?? .max) <= limits.writeHighWatermark + chunk.count + 16)
        }
    }

    @Test func writerUsedFromADetachedTaskStillWorks() async throws {
        let chunk = [UInt8](repeating: 0x63, count: 32 * 1024)
        var router = Router()
        router.on(.GET, "/detached") { _ in
            HTTPResponse(body: .stream { writer in
                // Off the connection's loop: the writer must hop over by itself.
                try await Task.detached {
                    for _ in 0..<256 { try await writer.write(chunk) }
                }.value
            })
        }
        try await withServer(responder: router.freeze()) { server in
            let port = server.boundPort
            let received = try await offPool { () -> Int in
                let client = try TestClient(port: port)
                try client.send("GET /detached HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readResponse(head: true)
                var total = 0
                var count = 0
                while let data = try client.readChunk() {
                    total += data.count
                    count += 1
                    // Reads slowly so the detached writer has to wait for the socket to drain. A
                    // sleep: the writer runs off the loop, where the connection's buffer (the event
                    // to wait on) may not be read.
                    if count % 32 == 0 { usleep(1000) }
                }
                // Keep-alive still works after the stream.
                try client.send("GET /detached HTTP/1.1\r\nHost: t\r\n\r\n")
                return total + (try client.readResponse().body.count)
            }
            #expect(received == 2 * 256 * chunk.count)
        }
    }

    @Test func gracefulShutdownFinishesTheInFlightRequest() async throws {
        let started = Gate()
        let release = Gate()
        var router = Router()
        router.on(.GET, "/slow") { _ in
            started.open()
            // Answers only once the drain has begun (the test opens the gate then).
            #expect(await release.waitAsync())
            return .text("done")
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.workerCount = 2
        let server = HTTPServer(configuration: configuration, responder: router.freeze(), logger: .init(label: "t"))
        try await server.start()
        let port = server.boundPort
        let idle = try TestClient(port: port)
        async let response = offPool { () -> TestClient.Response in
            let client = try TestClient(port: port)
            try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            return try client.readResponse()
        }
        #expect(await started.waitAsync())
        async let shutdown: Void = server.shutdown(drainDeadline: .seconds(20))
        // The idle connection closing shows the drain has begun; the request is still in flight.
        #expect(try await offPool { try idle.isClosedByServer() })
        release.open()
        await shutdown
        let r = try await response
        #expect(r.status == 200)
        #expect(r.text == "done")
        #expect(r.header("Connection")?.lowercased() == "close")
        #expect(throws: (any Error).self) { _ = try TestClient(port: port) }
        await server.waitUntilStopped()
    }

    @Test func drainDeadlineCutsOffStragglers() async throws {
        let started = Gate()
        let outcome = Recorder<String>()
        var router = Router()
        router.on(.GET, "/stuck") { _ in
            started.open()
            // Stuck past the drain deadline: only the cancellation ends it.
            do { try await suspendUntilCancelled() } catch { outcome.append("cancelled") }
            return .text("never")
        }
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(), responder: router.freeze(), logger: .init(label: "t"))
        try await server.start()
        let port = server.boundPort
        async let closed = offPool { () -> Bool in
            let client = try TestClient(port: port)
            try client.send("GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n")
            return try client.isClosedByServer()
        }
        #expect(await started.waitAsync())
        await server.shutdown(drainDeadline: .milliseconds(200))
        #expect(try await closed)
        #expect(await eventually { outcome.all == ["cancelled"] })
    }
}
