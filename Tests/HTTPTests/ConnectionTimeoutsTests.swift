import Testing
@testable import HTTP

/// The timeout policy, stepped with a manual clock (nanoseconds).
@Suite struct ConnectionTimeoutsTests {
    static let second: UInt64 = 1_000_000_000

    func limits() -> HTTPLimits {
        var l = HTTPLimits()
        l.headerReadTimeout = .seconds(2)
        l.bodyReadTimeout = .seconds(5)
        l.idleTimeout = .seconds(10)
        l.writeTimeout = .seconds(3)
        return l
    }

    @Test func idleConnectionClosesAfterIdleTimeout() {
        let t = ConnectionTimeouts(limits: limits(), now: 100 * Self.second)
        #expect(t.action(now: 105 * Self.second, busy: false) == .none)
        #expect(t.action(now: 110 * Self.second + 1, busy: false) == .close)
        #expect(t.action(now: 200 * Self.second, busy: true) == .none)
    }

    @Test func slowHeadGets408() {
        var t = ConnectionTimeouts(limits: limits(), now: 0)
        t.headStartedAt = 1 * Self.second
        t.lastActivity = 2 * Self.second + Self.second / 2  // bytes trickle in; still a timeout
        #expect(t.action(now: 3 * Self.second, busy: false) == .none)
        #expect(t.action(now: 3 * Self.second + 1, busy: false) == .requestTimeout)
        #expect(t.action(now: 30 * Self.second, busy: true) == .none)
    }

    @Test func slowBodyGets408() {
        var t = ConnectionTimeouts(limits: limits(), now: 0)
        t.bodyStartedAt = 0
        #expect(t.action(now: 5 * Self.second, busy: false) == .none)
        #expect(t.action(now: 5 * Self.second + 1, busy: false) == .requestTimeout)
    }

    @Test func stalledWriteAbortsEvenWhenBusy() {
        var t = ConnectionTimeouts(limits: limits(), now: 0)
        t.writeStalledSince = 10 * Self.second
        #expect(t.action(now: 13 * Self.second, busy: true) == .none)
        #expect(t.action(now: 13 * Self.second + 1, busy: true) == .abort)
    }

    @Test func lingeringCloseIsBounded() {
        var t = ConnectionTimeouts(limits: limits(), now: 0)
        t.lingerStartedAt = 0
        #expect(t.action(now: 1 * Self.second, busy: false) == .none)
        #expect(t.action(now: 2 * Self.second + 1, busy: false) == .close)
    }

    @Test func aConnectionSilentSinceAcceptIsClosedAndAHandshakeHasItsOwnTimeout() {
        var t = ConnectionTimeouts(limits: limits(), now: 0)
        t.headStartedAt = 0
        t.silentSinceAccept = true
        #expect(t.action(now: 2 * Self.second + 1, busy: false) == .close)
        var tls = ConnectionTimeouts(limits: limits(), now: 0)
        tls.handshakeStartedAt = 0
        #expect(tls.action(now: 10 * Self.second, busy: false) == .none)
        #expect(tls.action(now: 10 * Self.second + 1, busy: false) == .close)
    }

    /// `nextDeadline` is the first instant `action` acts, for each timeout alone and together.
    @Test func theNextDeadlineIsWhenTheActionIsDue() {
        func variant(_ from: ConnectionTimeouts, _ change: (inout ConnectionTimeouts) -> Void) -> ConnectionTimeouts {
            var t = from
            change(&t)
            return t
        }
        let base = ConnectionTimeouts(limits: limits(), now: 7 * Self.second)
        let body = variant(base) { $0.bodyStartedAt = 9 * Self.second }
        let stalled = variant(base) { $0.writeStalledSince = 3 * Self.second }
        let cases: [(String, ConnectionTimeouts, Bool)] = [
            ("idle", base, false),
            ("head", variant(base) { $0.headStartedAt = 8 * Self.second }, false),
            ("body", body, false),
            ("stalled busy", stalled, true),
            ("body and stall", variant(body) { $0.writeStalledSince = 12 * Self.second }, false),
            ("linger", variant(stalled) { $0.lingerStartedAt = 20 * Self.second }, true),
            ("handshake", variant(base) { $0.handshakeStartedAt = 1 * Self.second }, false),
        ]
        for (name, t, busy) in cases {
            guard let due = t.nextDeadline(busy: busy) else {
                Issue.record("\(name): no deadline")
                continue
            }
            #expect(t.action(now: due - 1, busy: busy) == .none, "\(name)")
            #expect(t.action(now: due, busy: busy) != .none, "\(name)")
        }
        // Busy with output flowing: nothing to time.
        #expect(base.nextDeadline(busy: true) == nil)
    }
}
