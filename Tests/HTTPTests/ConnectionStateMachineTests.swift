import Testing
@testable import HTTP

/// The connection's protocol logic, stepped event by event without a socket or a clock.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    static let second: UInt64 = 1_000_000_000

    static func limits() -> HTTPLimits {
        var l = HTTPLimits()
        l.headerReadTimeout = .seconds(2)
        l.bodyReadTimeout = .seconds(5)
        l.idleTimeout = .seconds(10)
        l.maxPipelinedRequests = 4
        l.maxHeaderBytes = 256
        l.maxBodyBytes = 16
        return l
    }

    /// A machine plus the bytes it left unconsumed, fed like the connection feeds it.
    struct Driver {
        var machine: Machine
        var input: [UInt8] = []
        var ids = 0

        /// A connection accepted at `now`, registered (its first timer armed) as `Connection` does.
        init(limits: HTTPLimits = ConnectionStateMachineTests.limits(), now: UInt64 = 0) {
            machine = Machine(limits: limits, remote: "peer", now: now)
            _ = machine.opened()
        }

        /// Feeds `text` after the leftovers; returns the actions.
        mutating func read(_ text: String, now: UInt64 = 0) -> [Machine.Action] {
            input += Array(text.utf8)
            let bytes = input
            var next = ids
            let (used, actions) = bytes.withUnsafeBytes { buffer in
                machine.bytesRead(buffer, now: now) {
                    next += 1
                    return "id\(next)"
                }
            }
            ids = next
            input.removeFirst(used)
            return actions
        }

        /// Hands out the next queued item, described as "METHOD target keep|close" or "reject NNN".
        mutating func next() -> String? {
            switch machine.nextPending() {
            case .request(let request, let keepAlive)?:
                "\(request.method.rawValue) \(request.target) \(keepAlive ? "keep" : "close")"
            case .reject(let status, _)?:
                "reject \(status.code)"
            case nil:
                nil
            }
        }
    }

    @Test func keepAliveRequestsAreAnsweredOneAfterAnother() {
        var d = Driver()
        #expect(d.read("GET /a HTTP/1.1\r\nHost: t\r\n\r\n") == [.dispatch])
        #expect(d.machine.inFlight)
        #expect(d.next() == "GET /a keep")
        #expect(d.next() == nil)
        #expect(d.machine.keepsAlive(requested: true, responseSaysClose: false, serverDraining: false))
        #expect(d.machine.responseSent(keptOpen: true) == [])
        #expect(d.machine.processingFinished(now: 0, outputPending: false) == [])
        #expect(!d.machine.inFlight)
        #expect(d.machine.isReading)
        // The same connection takes the next request.
        #expect(d.read("GET /b HTTP/1.1\r\nHost: t\r\n\r\n") == [.dispatch])
        #expect(d.next() == "GET /b keep")
        #expect(d.machine.requestsReceived == 2)
    }

    @Test func requestIdsComeFromTheClientOrTheConnection() {
        var d = Driver()
        _ = d.read("GET /a HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc-1\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        guard case .request(let first, _)? = d.machine.nextPending(),
            case .request(let second, _)? = d.machine.nextPending()
        else {
            Issue.record("two requests expected")
            return
        }
        #expect(first.requestID == "abc-1")
        #expect(second.requestID == "id1")
        #expect(first.remoteAddress == "peer")
    }

    @Test func pipelinedRequestsPauseReadingWhenTheQueueIsFullAndResumeAtHalf() {
        var d = Driver()
        let one = "GET /p HTTP/1.1\r\nHost: t\r\n\r\n"
        let sixRequests = String(repeating: one, count: 6)
        // Four fill the queue: reading pauses and the other two stay unparsed.
        #expect(d.read(sixRequests) == [.pauseReading, .dispatch])
        #expect(d.machine.reading == .paused)
        #expect(d.input.count == 2 * one.utf8.count)
        #expect(d.machine.queuedCount == 4)
        // Answering: reading resumes once fewer than half the limit are queued.
        #expect(d.next() == "GET /p keep")
        #expect(d.machine.responseSent(keptOpen: true) == [])
        #expect(d.next() == "GET /p keep")
        #expect(d.machine.responseSent(keptOpen: true) == [])
        #expect(d.next() == "GET /p keep")
        #expect(d.machine.responseSent(keptOpen: true) == [.resumeReading])
        #expect(d.machine.isReading)
        // The held bytes parse now; the running Task picks them up (no second dispatch).
        #expect(d.read("") == [])
        #expect(d.input.isEmpty)
        #expect(d.machine.queuedCount == 3)
    }

    @Test func connectionCloseStopsReadingAndEndsWithAHalfClose() {
        var d = Driver()
        let actions = d.read("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n")
        #expect(actions == [.dispatch])
        #expect(d.machine.reading == .stopped)
        #expect(d.input.isEmpty)  // the rest is dropped
        #expect(d.next() == "GET /x close")
        #expect(d.next() == nil)
        #expect(!d.machine.keepsAlive(requested: false, responseSaysClose: false, serverDraining: false))
        #expect(d.machine.responseSent(keptOpen: false) == [])
        // The response is still being written: the half-close waits for the flush.
        #expect(d.machine.processingFinished(now: 7, outputPending: true) == [])
        #expect(d.machine.phase == .open)
        #expect(d.machine.outputFlushed(now: 9) == [.halfClose])
        #expect(d.machine.isLingering)
        #expect(d.machine.wantsReadable)  // discarding the peer's input until EOF
        #expect(d.machine.timeouts.lingerStartedAt == 9)
        // A lingering close that takes too long is cut.
        #expect(d.machine.timerFired(now: 9 + 3 * Self.second) == [.close])
    }

    @Test func aResponseAskingForCloseOrTheRequestLimitEndTheConnection() {
        var d = Driver()
        _ = d.read("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(!d.machine.keepsAlive(requested: true, responseSaysClose: true, serverDraining: false))
        #expect(!d.machine.keepsAlive(requested: true, responseSaysClose: false, serverDraining: true))

        var limits = Self.limits()
        limits.maxRequestsPerConnection = 2
        var limited = Driver(limits: limits)
        _ = limited.read("GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\nHost: t\r\n\r\nGET /3 HTTP/1.1\r\n\r\n")
        #expect(limited.next() == "GET /1 keep")
        #expect(limited.next() == "GET /2 close")
        #expect(limited.next() == nil)
        #expect(limited.machine.reading == .stopped)
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() {
        var d = Driver()
        _ = d.read("GET /old HTTP/1.0\r\n\r\n")
        #expect(d.next() == "GET /old close")
        var k = Driver()
        _ = k.read("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(k.next() == "GET /old keep")
    }

    @Test func rejectionsComeInOrderAfterTheRequestsBeforeThem() {
        var d = Driver()
        // A good request, then a malformed one: 400 after the first answer, then nothing more.
        #expect(d.read("GET /ok HTTP/1.1\r\nHost: t\r\n\r\nGARBAGE\r\n\r\n") == [.dispatch])
        #expect(d.machine.reading == .stopped)
        #expect(d.next() == "GET /ok keep")
        #expect(d.machine.responseSent(keptOpen: true) == [])
        #expect(d.next() == "reject 400")
        #expect(d.machine.responseSent(keptOpen: false) == [])
        #expect(d.next() == nil)
        #expect(d.machine.processingFinished(now: 1, outputPending: false) == [.halfClose])
    }

    @Test func oversizedHeadIs431AndOversizedBodyIs413() {
        var head = Driver()
        let big = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 300) + "\r\n\r\n"
        #expect(head.read(big) == [.dispatch])
        #expect(head.next() == "reject 431")

        var body = Driver()
        #expect(body.read("POST /u HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n") == [.dispatch])
        #expect(body.next() == "reject 413")
        #expect(body.machine.reading == .stopped)
    }

    @Test func expectContinueIsAnsweredOnlyWhenNothingIsAhead() {
        var d = Driver()
        let actions = d.read("POST /u HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(actions == [.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))])
        #expect(d.read("hi") == [.dispatch])
        #expect(d.next() == "POST /u keep")
        // While that request is answered, a second one gets no interim response.
        #expect(d.read("POST /v HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n") == [])
    }

    @Test func aSlowHeadGets408AndAnIdleConnectionCloses() {
        var slow = Driver(now: 1 * Self.second)
        #expect(slow.read("GET / HTT", now: 1 * Self.second) == [])
        #expect(slow.machine.timeouts.headStartedAt == 1 * Self.second)
        // Nothing due yet: the timer is armed again for the real deadline.
        #expect(slow.machine.timerFired(now: 3 * Self.second) == [.armTimer(at: 3 * Self.second + 1)])
        #expect(slow.machine.timerFired(now: 3 * Self.second + 1) == [.dispatch])
        #expect(slow.next() == "reject 408")
        #expect(slow.machine.reading == .stopped)

        // Idle after a request: closed silently at the idle timeout.
        var idle = Driver(now: 0)
        _ = idle.read("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(idle.next() == "GET / keep")
        #expect(idle.machine.responseSent(keptOpen: true) == [])
        #expect(idle.machine.processingFinished(now: 0, outputPending: false) == [])
        #expect(idle.machine.isIdleKeepAlive)
        #expect(idle.machine.timerFired(now: 10 * Self.second) == [.armTimer(at: 10 * Self.second + 1)])
        #expect(idle.machine.timerFired(now: 10 * Self.second + 1) == [.close])
        // A request being answered is not idle.
        var busy = Driver(now: 0)
        _ = busy.read("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(busy.machine.timerFired(now: 100 * Self.second) == [])
    }

    @Test func aSlowBodyGets408() {
        var d = Driver()
        #expect(d.read("POST /u HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab", now: 0) == [])
        #expect(d.machine.timeouts.headStartedAt == nil)
        #expect(d.machine.timerFired(now: 5 * Self.second + 1) == [.dispatch])
        #expect(d.next() == "reject 408")
    }

    @Test func aStalledWriteAborts() {
        var limits = Self.limits()
        limits.idleTimeout = .seconds(3600)
        limits.headerReadTimeout = .seconds(3600)
        var d = Driver(limits: limits)
        // The stall deadline comes before the armed (head) timer: armed now.
        #expect(d.machine.outputBlocked(now: 1 * Self.second) == [.armTimer(at: 31 * Self.second + 1)])
        d.machine.wrote(now: 2 * Self.second)  // progress restarts the stall clock
        #expect(d.machine.timerFired(now: 32 * Self.second) == [.armTimer(at: 32 * Self.second + 1)])
        #expect(d.machine.timerFired(now: 32 * Self.second + 1) == [.close])
    }

    @Test func thePeerClosingClosesAtOnceEvenMidRequest() {
        var d = Driver()
        _ = d.read("GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(d.machine.peerClosed() == [.close])
        d.machine.closed()
        #expect(d.machine.isClosed)
        #expect(d.next() == nil)
        #expect(d.machine.peerClosed() == [])
        #expect(d.machine.processingFinished(now: 0, outputPending: false) == [])
        #expect(d.read("GET /b HTTP/1.1\r\n\r\n") == [])
    }

    @Test func drainClosesIdleConnectionsAndFinishesBusyOnes() {
        var idle = Driver()
        #expect(idle.machine.drain(outputPending: false) == [.close])

        var busy = Driver()
        _ = busy.read("GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(busy.machine.drain(outputPending: false) == [])
        #expect(busy.machine.reading == .stopped)
        #expect(busy.next() == "GET /a keep")
        // The response carries Connection: close, then the connection half-closes.
        #expect(!busy.machine.keepsAlive(requested: true, responseSaysClose: false, serverDraining: false))
        #expect(busy.machine.responseSent(keptOpen: false) == [])
        #expect(busy.machine.processingFinished(now: 0, outputPending: false) == [.halfClose])
    }

    @Test func theFirstHeadTimeoutRunsFromAcceptAndASilentConnectionClosesQuietly() {
        var silent = Driver(now: 5 * Self.second)
        #expect(silent.machine.armedDeadline == 7 * Self.second + 1)
        #expect(silent.machine.timerFired(now: 7 * Self.second + 1) == [.close])

        // A partial head sent late still counts from accept, and gets 408.
        var late = Driver(now: 0)
        #expect(late.read("GET / HT", now: 1 * Self.second + Self.second / 2) == [])
        #expect(late.machine.timeouts.headStartedAt == 0)
        #expect(late.machine.timerFired(now: 2 * Self.second + 1) == [.dispatch])
        #expect(late.next() == "reject 408")

        // Blank lines before the first request do not restart it.
        var blank = Driver(now: 0)
        #expect(blank.read("\r\n", now: 1 * Self.second) == [])
        #expect(blank.machine.timeouts.headStartedAt == 0)
    }

    @Test func aTlsHandshakeHasItsOwnTimeoutThenTheHeadTimeoutStarts() {
        var limits = Self.limits()
        limits.tlsHandshakeTimeout = .seconds(1)
        var never = Machine(limits: limits, remote: "peer", now: 0, handshaking: true)
        #expect(never.opened() == [.armTimer(at: 1 * Self.second + 1)])
        #expect(never.isHandshaking)
        #expect(never.timerFired(now: 1 * Self.second + 1) == [.close])

        var done = Machine(limits: limits, remote: "peer", now: 0, handshaking: true)
        _ = done.opened()
        // The handshake took half a second; the head timeout (2 s) starts then (lazily re-armed).
        #expect(done.handshakeCompleted(now: Self.second / 2) == [])
        #expect(!done.isHandshaking)
        #expect(done.timerFired(now: 1 * Self.second + 1) == [.armTimer(at: 2 * Self.second + Self.second / 2 + 1)])
        #expect(done.timerFired(now: 2 * Self.second + Self.second / 2 + 1) == [.close])
    }

    @Test func onlyAConnectionWaitingBetweenRequestsIsIdleKeepAlive() {
        var d = Driver()
        #expect(!d.machine.isIdleKeepAlive)  // no request yet
        _ = d.read("GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(!d.machine.isIdleKeepAlive)  // being answered
        _ = d.next()
        _ = d.machine.responseSent(keptOpen: true)
        _ = d.machine.processingFinished(now: 0, outputPending: false)
        #expect(d.machine.isIdleKeepAlive)
        _ = d.read("GET /b HT")
        #expect(!d.machine.isIdleKeepAlive)  // part of the next head is in
    }

    @Test func overCapacityIsRejectedBeforeAnyRequest() {
        var d = Driver()
        #expect(d.machine.rejectImmediately(.serviceUnavailable, reason: "full") == [.dispatch])
        #expect(d.next() == "reject 503")
        #expect(d.read("GET / HTTP/1.1\r\n\r\n") == [])
    }
}
