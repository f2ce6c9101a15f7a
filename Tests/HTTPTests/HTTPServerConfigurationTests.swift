import Foundation
import Logging
import Testing
@testable import HTTP

/// A clock the test moves by hand (nanoseconds).
final class ManualClock: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var now: UInt64 = 1_000_000_000
    private var readsAtNow = 0
    func read() -> UInt64 {
        lock.withLock {
            readsAtNow += 1
            return now
        }
    }
    func advance(by duration: Duration) {
        lock.withLock {
            now += duration.nanoseconds
            readsAtNow = 0
        }
    }
    /// How often the time has been read since the last `advance` (each loop's timer tick reads it).
    var readsSinceAdvance: Int { lock.withLock { readsAtNow } }
}

@Suite(.serialized) struct HTTPServerConfigurationTests {
    @Test func ipv6LoopbackAndConnectionEvents() async throws {
        let events = Recorder<HTTPServerEvent>()
        var configuration = HTTPServerConfiguration(host: "::1", port: 0)
        configuration.onEvent = { events.append($0) }
        let server = HTTPServer(configuration: configuration, responder: testRouter(), logger: Logger(label: "t"))
        try await server.start()
        let port = server.boundPort
        #expect(port > 0)
        let result = try await offPool { try runProcess("/usr/bin/curl", ["-sS", "-g", "http://[::1]:\(port)/health"]) }
        #expect(result.status == 0)
        #expect(result.output == "ok")
        #expect(await eventually { events.all.count == 2 })
        let remotes = events.all.map { event -> String in
            switch event {
            case .connectionOpened(let r): "open \(r.hasPrefix("[::1]:"))"
            case .connectionClosed(let r): "close \(r.hasPrefix("[::1]:"))"
            default: "other"
            }
        }
        #expect(remotes == ["open true", "close true"])
        await server.shutdown(drainDeadline: .seconds(1))
    }

    @Test func idleTimeoutFollowsTheInjectedClock() async throws {
        let clock = ManualClock()
        var configuration = HTTPServerConfiguration()
        configuration.limits.idleTimeout = .seconds(3600)
        configuration.clock = { clock.read() }
        configuration.timerResolution = .milliseconds(20)
        let server = HTTPServer(configuration: configuration, responder: testRouter(), logger: Logger(label: "t"))
        try await server.start()
        let port = server.boundPort
        let client = try await offPool { () -> TestClient in
            let c = try TestClient(port: port)
            try c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try c.readResponse()
            return c
        }
        #expect(server.openConnectionCount == 1)
        clock.advance(by: .seconds(3599))
        // The loops have re-read the injected clock (once a round each, every timerResolution).
        #expect(await eventually { clock.readsSinceAdvance >= 8 * configuration.workerCount })
        #expect(server.openConnectionCount == 1)
        clock.advance(by: .seconds(2))  // an hour of idleness, without waiting for it
        #expect(await eventually { server.openConnectionCount == 0 })
        #expect(try await offPool { try client.isClosedByServer() })
        await server.shutdown(drainDeadline: .seconds(1))
    }

    @Test func portInUseIsASocketError() async throws {
        try await withServer { server in
            let clash = HTTPServer(
                configuration: HTTPServerConfiguration(port: server.boundPort), responder: testRouter(),
                logger: Logger(label: "t"))
            await #expect(throws: SocketError.self) { try await clash.start() }
        }
    }
}
