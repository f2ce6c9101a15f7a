/// The HTTP/1.1 protocol logic of one connection, without I/O: keep-alive, pipelining,
/// `Connection: close`, the request limit, timeouts, rejections, drain and the lingering close.
///
/// `Connection` feeds it events (bytes read, a request answered, output blocked or flushed, the
/// TLS handshake done, its timer, the peer closing, the server draining) and performs the actions
/// it returns in order; the machine never touches a socket, a clock or a Task, so tests step it
/// event by event.
///
/// Timers: the machine keeps every deadline (`ConnectionTimeouts`) and asks for one timer at a
/// time with `.armTimer(at:)` whenever its next deadline comes earlier than the one armed. A
/// deadline that moved later (a request arrived, output made progress) is not re-armed: the
/// early firing finds nothing due and arms the real deadline, so a keep-alive request costs no
/// timer operation. A new `.armTimer` replaces the previous one; closing drops it.
struct ConnectionStateMachine {
    /// A fully received request waiting for its turn, or a rejection to send in its place.
    enum Pending {
        case request(HTTPRequest, keepAlive: Bool)
        case reject(HTTPStatus, reason: String)
    }

    /// What the connection must do, in order.
    enum Action: Equatable, Sendable {
        /// Write these bytes now (an interim `100 Continue`).
        case write([UInt8])
        /// Start answering the queued requests (`nextPending()` hands them out in order).
        case dispatch
        /// Stop reading: the pipeline queue is full.
        case pauseReading
        /// Parse what is buffered and read again: the queue has room.
        case resumeReading
        /// Half-close our side and keep discarding input until EOF or the linger deadline.
        case halfClose
        /// Close the connection now (cancelling any running handler).
        case close
        /// Call `timerFired(now:)` at this instant (clock nanoseconds), instead of at the timer
        /// armed before.
        case armTimer(at: UInt64)
    }

    /// Whether requests are read.
    enum Reading: Equatable {
        case active
        /// The pipeline queue is full; the rest of the input waits.
        case paused
        /// No further request will be read (`Connection: close`, the limit, a rejection, a drain).
        case stopped
    }

    enum Phase: Equatable {
        case open
        /// Our side is shut; input is read and discarded until EOF.
        case lingering
        case closed
    }

    let limits: HTTPLimits
    let remote: String
    private(set) var phase = Phase.open
    private(set) var reading = Reading.active
    private(set) var timeouts: ConnectionTimeouts

    private var parser: RequestParser
    private var building: (head: RequestHead, body: [UInt8])?
    private var pending: [Pending] = []
    private var pendingIndex = 0
    /// The answering Task runs (from `.dispatch` until `processingFinished`).
    private(set) var inFlight = false
    /// A rejection was sent or a response ended the connection: finish once the Task ends.
    private var closing = false
    /// Close once the output is flushed and no request is in flight.
    private(set) var closeAfterFlush = false
    private(set) var requestsReceived = 0
    /// The instant of the timer the connection has armed for the machine, if any.
    private(set) var armedDeadline: UInt64?

    /// A connection accepted at `now`; `handshaking` when a TLS handshake comes first. The head
    /// timeout of the first request runs from here (or from the end of the handshake).
    init(limits: HTTPLimits, remote: String, now: UInt64, handshaking: Bool = false) {
        self.limits = limits
        self.remote = remote
        parser = RequestParser(limits: limits)
        timeouts = ConnectionTimeouts(limits: limits, now: now)
        if handshaking {
            timeouts.handshakeStartedAt = now
        } else {
            timeouts.headStartedAt = now
            timeouts.silentSinceAccept = true
        }
    }

    /// The connection is registered: arm its first timer (the handshake or head timeout).
    mutating func opened() -> [Action] {
        var actions: [Action] = []
        armTimer(&actions)
        return actions
    }

    var isClosed: Bool { phase == .closed }
    var isLingering: Bool { phase == .lingering }
    /// Whether the connection should read requests now.
    var isReading: Bool { phase == .open && reading == .active }
    /// Whether the socket should be watched for readability.
    var wantsReadable: Bool { phase == .lingering || isReading }
    /// Requests (or rejections) received and not yet handed out.
    var queuedCount: Int { pending.count - pendingIndex }
    /// Nothing queued and nothing being answered.
    private var isIdle: Bool { !inFlight && queuedCount == 0 }
    /// Waiting for the next request after answering at least one, with nothing of it received
    /// (what the server may close to make room when it is full).
    var isIdleKeepAlive: Bool {
        isReading && isIdle && requestsReceived > 0 && building == nil && timeouts.headStartedAt == nil
            && !closeAfterFlush
    }
    /// The TLS handshake has not finished yet.
    var isHandshaking: Bool { timeouts.handshakeStartedAt != nil }

    /// Appends `.armTimer` when the next deadline is due before the armed timer (or none is armed).
    private mutating func armTimer(_ actions: inout [Action]) {
        guard phase != .closed, let due = timeouts.nextDeadline(busy: !isIdle) else { return }
        if let armed = armedDeadline, armed <= due { return }
        armedDeadline = due
        actions.append(.armTimer(at: due))
    }

    // MARK: Reading

    /// Bytes arrived: parses `buffer` into requests. Returns how many bytes were used; the
    /// caller keeps the rest for the next call (all of it is "used" once reading stopped).
    mutating func bytesRead(
        _ buffer: UnsafeRawBufferPointer, now: UInt64, newRequestID: () -> String
    ) -> (consumed: Int, actions: [Action]) {
        guard phase == .open else { return (buffer.count, []) }
        var (consumed, actions) = parse(buffer, now: now, newRequestID: newRequestID)
        armTimer(&actions)
        return (consumed, actions)
    }

    private mutating func parse(
        _ buffer: UnsafeRawBufferPointer, now: UInt64, newRequestID: () -> String
    ) -> (consumed: Int, actions: [Action]) {
        var actions: [Action] = []
        timeouts.lastActivity = now
        if buffer.count > 0 { timeouts.silentSinceAccept = false }
        var offset = 0
        while reading == .active {
            let (event, used) = parser.parse(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            switch event {
            case .head(let head):
                timeouts.headStartedAt = nil
                timeouts.bodyStartedAt = now
                var body: [UInt8] = []
                // Reserve for what was announced, but not more than one read's worth up front:
                // a client may announce a large body and never send it.
                if case .length(let n) = head.framing { body.reserveCapacity(min(n, 64 * 1024)) }
                building = (head, body)
                if head.expectContinue && isIdle { actions.append(.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))) }
            case .body(let start, let count):
                let base = offset + start
                building?.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[base..<base + count]))
            case .end:
                timeouts.bodyStartedAt = nil
                if let (head, body) = building { completeRequest(head, body, newRequestID: newRequestID, &actions) }
                building = nil
            case .needMore:
                offset += used
                if parser.isReadingBody {
                    timeouts.headStartedAt = nil
                } else if offset < buffer.count {
                    if timeouts.headStartedAt == nil { timeouts.headStartedAt = now }
                } else if requestsReceived > 0 {
                    // Between requests: the idle timeout runs (the first one's head timeout runs
                    // from accept).
                    timeouts.headStartedAt = nil
                }
                dispatchIfNeeded(&actions)
                return (offset, actions)
            case .reject(let error):
                reject(error.status, reason: error.description, &actions)
                return (buffer.count, actions)
            }
            offset += used
        }
        dispatchIfNeeded(&actions)
        // Paused: keep the unparsed rest. Stopped: no further request will be read.
        return (reading == .stopped ? buffer.count : offset, actions)
    }

    private mutating func completeRequest(
        _ head: RequestHead, _ body: [UInt8], newRequestID: () -> String, _ actions: inout [Action]
    ) {
        requestsReceived += 1
        let keepAlive = head.keepAlive && requestsReceived < limits.maxRequestsPerConnection
        let id = RequestIdentifier.sanitized(head.headers["X-Request-Id"]) ?? newRequestID()
        var request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: body,
            remoteAddress: remote, requestID: id)
        request.pathParameters = [:]
        pending.append(.request(request, keepAlive: keepAlive))
        if !keepAlive {
            reading = .stopped
        } else if queuedCount >= limits.maxPipelinedRequests {
            reading = .paused
            actions.append(.pauseReading)
        }
    }

    /// Answers with `status` (after the requests before it) and reads nothing more.
    private mutating func reject(_ status: HTTPStatus, reason: String, _ actions: inout [Action]) {
        reading = .stopped
        timeouts.headStartedAt = nil
        timeouts.bodyStartedAt = nil
        pending.append(.reject(status, reason: reason))
        dispatchIfNeeded(&actions)
    }

    /// Rejects before reading any request (503 when over capacity).
    mutating func rejectImmediately(_ status: HTTPStatus, reason: String) -> [Action] {
        var actions: [Action] = []
        guard phase == .open else { return actions }
        reject(status, reason: reason, &actions)
        return actions
    }

    /// The peer closed its side or the connection failed: close (a half-closed client gets no
    /// further responses; its handlers are cancelled).
    mutating func peerClosed() -> [Action] {
        guard phase != .closed else { return [] }
        return [.close]
    }

    // MARK: Answering

    private mutating func dispatchIfNeeded(_ actions: inout [Action]) {
        guard !inFlight, queuedCount > 0, phase != .closed else { return }
        inFlight = true
        actions.append(.dispatch)
    }

    /// The next request or rejection to answer, in order; nil when none is due (the queue is
    /// empty, the connection is closed, or a response ended it).
    mutating func nextPending() -> Pending? {
        guard phase != .closed, !closing, pendingIndex < pending.count else { return nil }
        let item = pending[pendingIndex]
        pendingIndex += 1
        if pendingIndex == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
        }
        return item
    }

    /// Whether the response to a request that asked for `keepAlive` leaves the connection open.
    func keepsAlive(requested keepAlive: Bool, responseSaysClose: Bool, serverDraining: Bool) -> Bool {
        keepAlive && !closeAfterFlush && !serverDraining && !responseSaysClose
    }

    /// A response (or rejection) was written; `keptOpen` is false when it ended the connection.
    mutating func responseSent(keptOpen: Bool) -> [Action] {
        if !keptOpen { closing = true }
        guard reading == .paused, phase == .open, queuedCount < max(1, limits.maxPipelinedRequests / 2) else { return [] }
        reading = .active
        return [.resumeReading]
    }

    /// The answering Task ended (`nextPending()` returned nil). `outputPending`: bytes are
    /// still queued for the socket.
    mutating func processingFinished(now: UInt64, outputPending: Bool) -> [Action] {
        inFlight = false
        guard phase == .open else { return [] }
        if closing || closeAfterFlush { return finish(now: now, outputPending: outputPending) }
        // Requests may have arrived while the last one was written.
        var actions: [Action] = []
        dispatchIfNeeded(&actions)
        armTimer(&actions)
        return actions
    }

    /// After the last response: half-close once the output is out.
    private mutating func finish(now: UInt64, outputPending: Bool) -> [Action] {
        guard phase == .open else { return [] }
        var actions: [Action] = []
        if outputPending {
            closeAfterFlush = true
        } else {
            phase = .lingering
            timeouts.lingerStartedAt = now
            actions.append(.halfClose)
        }
        armTimer(&actions)
        return actions
    }

    // MARK: Writing

    /// The socket took some output.
    mutating func wrote(now: UInt64) {
        timeouts.lastActivity = now
        timeouts.writeStalledSince = timeouts.writeStalledSince.map { _ in now }
    }

    /// Output is queued that the socket did not take.
    mutating func outputBlocked(now: UInt64) -> [Action] {
        guard timeouts.writeStalledSince == nil else { return [] }
        timeouts.writeStalledSince = now
        var actions: [Action] = []
        armTimer(&actions)
        return actions
    }

    /// Nothing is queued for the socket any more.
    mutating func outputFlushed(now: UInt64) -> [Action] {
        timeouts.writeStalledSince = nil
        guard closeAfterFlush, !inFlight else { return [] }
        return finish(now: now, outputPending: false)
    }

    // MARK: Time and shutdown

    /// The armed timer fired: applies the timeout policy, then arms the next deadline.
    mutating func timerFired(now: UInt64) -> [Action] {
        guard phase != .closed else { return [] }
        armedDeadline = nil
        var actions: [Action] = []
        switch timeouts.action(now: now, busy: !isIdle) {
        case .none:
            break
        case .close, .abort:
            return [.close]
        case .requestTimeout:
            reject(.requestTimeout, reason: "request not received in time", &actions)
        }
        armTimer(&actions)
        return actions
    }

    /// The TLS handshake finished: the first request's head timeout starts now.
    mutating func handshakeCompleted(now: UInt64) -> [Action] {
        guard phase == .open, timeouts.handshakeStartedAt != nil else { return [] }
        timeouts.handshakeStartedAt = nil
        timeouts.lastActivity = now
        if requestsReceived == 0 && building == nil {
            timeouts.headStartedAt = now
            timeouts.silentSinceAccept = true
        }
        var actions: [Action] = []
        armTimer(&actions)
        return actions
    }

    /// The server is shutting down: close now if idle, otherwise after the current response.
    mutating func drain(outputPending: Bool) -> [Action] {
        guard phase != .closed else { return [] }
        reading = .stopped
        if isIdle && !outputPending { return [.close] }
        closeAfterFlush = true
        return []
    }

    /// The connection closed (after `.close`, or when it failed): nothing more happens.
    mutating func closed() {
        phase = .closed
        reading = .stopped
        pending = []
        pendingIndex = 0
        building = nil
        armedDeadline = nil
    }
}
