#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import HTTP

/// Connection limits over real sockets: per client address, the head timeout from accept, the
/// TLS handshake timeout, and closing idle connections to make room. Distinct loopback source
/// addresses (127.0.0.x) play distinct clients. The server's timeouts are short and each test
/// waits for the close itself (a read returning 0); the receive timeouts are hang guards.
@Suite(.serialized) struct HTTPServerConnectionLimitTests {
    static let health = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n"

    @Test func silentSocketsFromOneClientDoNotLockOutAnother() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 100
        limits.maxConnectionsPerClient = 10
        limits.headerReadTimeout = .seconds(3600)  // the per-client cap alone protects here
        let overLimit = Recorder<String>()
        try await withServer(limits: limits, onEvent: { event in
            if case .clientOverLimit(let remote) = event { overLimit.append(remote) }
        }) { server in
            let port = server.boundPort
            let held = try await offPool { () -> [TestClient] in
                let attacker = try (0..<100).map { _ in try TestClient(port: port, source: "127.0.0.2") }
                // Those over the cap are answered at once; the others stay silent (no byte
                // arrives on them before the hour-long head timeout).
                var fds = attacker.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                var answered: [Int] = []
                while answered.count < 90 {
                    guard poll(&fds, nfds_t(fds.count), 300_000) > 0 else {
                        throw TestClient.Failure(description: "no answer within the 300 s hang guard")
                    }
                    for i in fds.indices where fds[i].revents != 0 {
                        answered.append(i)
                        fds[i].fd = -1
                    }
                }
                for i in answered {
                    let r = try attacker[i].readResponse()
                    #expect(r.status == 503)
                    #expect(r.text.hasPrefix(#"{"error":{"message":"too many connections from this client""#))
                    #expect(try attacker[i].isClosedByServer())
                }
                #expect(answered.count == 90)
                return attacker.indices.filter { !answered.contains($0) }.map { attacker[$0] }
            }
            #expect(held.count == 10)
            #expect(overLimit.all.count == 90)
            #expect(overLimit.all.allSatisfy { $0.hasPrefix("127.0.0.2:") })
            // The answered ones are closed on both sides now; the ten silent ones stay.
            #expect(await eventually { server.openConnectionCount == 10 })
            try await offPool {
                let other = try TestClient(port: port, source: "127.0.0.3")
                try other.send(Self.health)
                #expect(try other.readResponse().status == 200)
                let more = try TestClient(port: port, source: "127.0.0.2")
                #expect(try more.readResponse().status == 503)
            }
            withExtendedLifetime(held) {}
        }
    }

    @Test func silentConnectionsAreClosedAtTheHeadTimeoutCountedFromAccept() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 100
        limits.headerReadTimeout = .seconds(1)
        limits.idleTimeout = .seconds(3600)  // so it is the head timeout that closes them
        let rejected = Recorder<Int>()
        try await withServer(limits: limits, onEvent: { event in
            if case .rejected(let status, _, _, _) = event { rejected.append(status.code) }
        }) { server in
            let port = server.boundPort
            try await offPool {
                let silent = try (0..<100).map { _ in try TestClient(port: port, source: "127.0.0.2") }
                // Closed without a word (no 408 for a connection that never spoke).
                for client in silent { #expect(try client.readUntilClosed().isEmpty) }
            }
            #expect(await eventually { server.openConnectionCount == 0 })
            try await offPool {
                let other = try TestClient(port: port, source: "127.0.0.3")
                try other.send(Self.health)
                #expect(try other.readResponse().status == 200)
            }
            #expect(rejected.all.isEmpty)
        }
    }

    @Test func aTlsClientThatNeverHandshakesIsClosed() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        var limits = HTTPLimits()
        limits.tlsHandshakeTimeout = .seconds(1)
        limits.headerReadTimeout = .seconds(3600)
        limits.idleTimeout = .seconds(3600)
        let tls = TLSConfiguration(certificatePath: pki.certificatePath, privateKeyPath: pki.keyPath)
        try await withServer(limits: limits, tls: tls) { server in
            let port = server.boundPort
            try await offPool {
                let silent = try TestClient(port: port)
                // The first bytes of a ClientHello, and no more.
                let partial = try TestClient(port: port)
                try partial.send([0x16, 0x03, 0x01, 0x02, 0x00])
                #expect(try silent.readUntilClosed().isEmpty)
                #expect(try partial.readUntilClosed().isEmpty)
            }
            #expect(await eventually { server.openConnectionCount == 0 })
            let ca = pki.caPath
            let get = try await offPool {
                try runProcess("/usr/bin/curl", ["-sS", "--cacert", ca, "https://127.0.0.1:\(port)/health"])
            }
            #expect(get.status == 0)
            #expect(get.output == "ok")
        }
    }

    /// At `maxConnections`, a newcomer closes the connection idle the longest (on any loop), not
    /// the oldest one. Round-robin puts connections 1, 3, 5 on loop 0 and 2, 4, 6 on loop 1; a
    /// request on a loop after another's response there means the first is in that loop's idle
    /// list already (a loop does one thing at a time).
    @Test func atCapacityTheConnectionIdleTheLongestIsClosedToMakeRoom() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 4
        let closedForRoom = Recorder<String>()
        let overCapacity = Recorder<String>()
        try await withServer(limits: limits, workers: 2, onEvent: { event in
            if case .idleClosedForRoom(let remote) = event { closedForRoom.append(remote) }
            if case .overCapacity(let remote) = event { overCapacity.append(remote) }
        }) { server in
            let port = server.boundPort
            try await offPool {
                func served(_ client: TestClient) throws -> Bool {
                    try client.send(Self.health)
                    return try client.readResponse().status == 200
                }
                func local(_ client: TestClient) -> String {
                    var address = sockaddr_in()
                    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                    _ = withUnsafeMutablePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client.fd, $0, &length) }
                    }
                    return "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
                }
                let c1 = try TestClient(port: port), c2 = try TestClient(port: port)
                let c3 = try TestClient(port: port), c4 = try TestClient(port: port)
                for c in [c1, c2, c3, c4] { #expect(try served(c)) }
                // Full, all idle: the fifth closes c1, idle the longest.
                let c5 = try TestClient(port: port)
                #expect(try served(c5))
                #expect(try c1.readUntilClosed().isEmpty)
                #expect(closedForRoom.all == [local(c1)])
                // c2 is used again (c4 after it on the same loop): c3 is now idle the longest,
                // though c2 was opened before it.
                #expect(try served(c2))
                #expect(try served(c4))
                let c6 = try TestClient(port: port)
                #expect(try served(c6))
                #expect(try c3.readUntilClosed().isEmpty)
                #expect(closedForRoom.all == [local(c1), local(c3)])
                #expect(try served(c2))
                #expect(try served(c5))
            }
            #expect(overCapacity.all.isEmpty)
        }
    }

    @Test func atCapacityWithNothingIdleANewcomerGets503() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 2
        try await withServer(limits: limits) { server in
            let port = server.boundPort
            try await offPool {
                // Never served a request: silent, not idle keep-alive.
                let a = try TestClient(port: port), b = try TestClient(port: port)
                let c = try TestClient(port: port)
                #expect(try c.readResponse().status == 503)
                withExtendedLifetime((a, b)) {}
            }
        }
    }
}
