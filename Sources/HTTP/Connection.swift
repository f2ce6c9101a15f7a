#if canImport(Glibc)
import Glibc
#endif

/// One client connection: reads and parses requests, answers them in order from a single Swift
/// Task (running on the connection's event loop), writes responses with backpressure.
///
/// Everything here runs on `context.loop`'s thread (the Task has that loop as its executor
/// preference), so there are no locks.
final class Connection: EventHandler, @unchecked Sendable {
    /// A fully received request waiting for its turn, or a parse failure to report in order.
    enum Pending {
        case request(HTTPRequest, keepAlive: Bool)
        case reject(HTTPStatus, reason: String)
    }

    let context: LoopContext
    /// Owns the descriptor; the connection closes it once, in `close()`.
    let socket: Socket
    let remote: String
    let tls: TLSSession?
    var server: ServerCore { context.server }

    // Input.
    var input: [UInt8] = []
    var parser: RequestParser
    var building: (head: RequestHead, body: [UInt8])?
    /// No more requests will be read (close requested, limit reached, or a parse error).
    var readingStopped = false
    var readPaused = false
    var tlsReadWantsWrite = false

    // Requests in order.
    var pending: [Pending] = []
    var pendingIndex = 0
    var processing: Task<Void, Never>?
    var requestsReceived = 0

    // Output.
    var output: [UInt8] = []
    var outputStart = 0
    /// Called once buffered output falls to half the watermark (nil) or the connection closes.
    var drainWaiters: [((any Error)?) -> Void] = []
    var interest: UInt32 = 0
    var closeAfterFlush = false

    var timeouts: ConnectionTimeouts
    private(set) var closed = false
    var lingering = false

    init(context: LoopContext, socket: Socket, remote: String, tls: TLSSession?) {
        self.context = context
        self.socket = socket
        self.remote = remote
        self.tls = tls
        self.parser = RequestParser(limits: context.server.limits)
        self.timeouts = ConnectionTimeouts(limits: context.server.limits, now: context.server.clock())
    }

    /// Registers with the loop and starts reading. Loop thread.
    func start() {
        interest = Epoll.readable | Epoll.readHangup
        do {
            try context.loop.register(socket, events: interest, handler: self)
        } catch {
            tls?.free()
            socket.close()
            server.connectionEnded(remote: remote)
            return
        }
        context.connections[ObjectIdentifier(self)] = self
        if server.isDraining { beginDrain() }
    }

    func handleEvent(_ events: UInt32) {
        if events & Epoll.writable != 0 {
            flush()
            if tlsReadWantsWrite && !closed { readAvailable() }
        }
        if events & (Epoll.readable | Epoll.readHangup | Epoll.hangup | Epoll.error) != 0 && !closed {
            if lingering {
                discardInput()
            } else if readPaused || readingStopped {
                // Not reading, so this is the peer going away: treat as a disconnect.
                if events & (Epoll.readHangup | Epoll.hangup | Epoll.error) != 0 { close() }
            } else {
                readAvailable()
            }
        }
    }

    /// Reads until the socket would block, parsing as bytes arrive.
    func readAvailable() {
        tlsReadWantsWrite = false
        while !closed && !readPaused && !readingStopped {
            let n: Int
            switch readSome() {
            case .bytes(let count): n = count
            case .wouldBlock: updateInterest(); return
            case .end: peerClosed(); return
            }
            timeouts.lastActivity = server.clock()
            let scratch = context.scratch
            if input.isEmpty {
                let used = process(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                if used < n { input.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[used..<n])) }
            } else {
                input.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                let used = input.withUnsafeBytes { process($0) }
                input.removeFirst(used)
            }
            if tls == nil && n < scratch.count { break }
        }
        updateInterest()
    }

    enum ReadOutcome {
        case bytes(Int)
        case wouldBlock
        case end
    }

    /// One read into the loop's scratch buffer; `.end` on EOF or any error.
    private func readSome() -> ReadOutcome {
        let scratch = context.scratch
        if let tls {
            switch tls.read(into: scratch) {
            case .bytes(let n): return .bytes(n)
            case .wantRead: return .wouldBlock
            case .wantWrite:
                tlsReadWantsWrite = true
                return .wouldBlock
            case .closed: return .end
            case .failed(let message):
                server.logger.debug("TLS read failed", metadata: ["remote": "\(remote)", "error": "\(message)"])
                return .end
            }
        }
        do {
            switch try socket.read(into: scratch) {
            case .wouldBlock: return .wouldBlock
            case .done(0): return .end
            case .done(let n): return .bytes(n)
            }
        } catch {
            return .end
        }
    }

    /// Feeds `buffer` to the parser; returns how many bytes were consumed.
    private func process(_ buffer: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        // Stops at a pause too: the rest stays in `input` until `resumeReading`.
        while !readingStopped && !readPaused {
            let (event, used) = parser.parse(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            switch event {
            case .head(let head):
                timeouts.headStartedAt = nil
                timeouts.bodyStartedAt = server.clock()
                var body: [UInt8] = []
                // Reserve for what was announced, but not more than one read's worth up front:
                // a client may announce a large body and never send it.
                if case .length(let n) = head.framing { body.reserveCapacity(min(n, 64 * 1024)) }
                building = (head, body)
                if head.expectContinue && pendingIndex == pending.count && processing == nil {
                    enqueueOutput("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                }
            case .body(let start, let count):
                let base = offset + start
                building?.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[base..<base + count]))
            case .end:
                timeouts.bodyStartedAt = nil
                if let (head, body) = building { completeRequest(head, body) }
                building = nil
            case .needMore:
                offset += used
                if parser.isReadingBody {
                    timeouts.headStartedAt = nil
                } else if offset < buffer.count {
                    if timeouts.headStartedAt == nil { timeouts.headStartedAt = server.clock() }
                } else {
                    timeouts.headStartedAt = nil
                }
                startProcessingIfNeeded()
                return offset
            case .reject(let error):
                readingStopped = true
                timeouts.headStartedAt = nil
                timeouts.bodyStartedAt = nil
                pending.append(.reject(error.status, reason: error.description))
                startProcessingIfNeeded()
                return buffer.count
            }
            offset += used
        }
        startProcessingIfNeeded()
        // Paused: keep the unparsed rest. Stopped: no further request will be read.
        return readingStopped ? buffer.count : offset
    }

    private func completeRequest(_ head: RequestHead, _ body: [UInt8]) {
        requestsReceived += 1
        let limitReached = requestsReceived >= server.limits.maxRequestsPerConnection
        let keepAlive = head.keepAlive && !limitReached
        let id = RequestIdentifier.sanitized(head.headers["X-Request-Id"]) ?? context.nextRequestID()
        var request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: body,
            remoteAddress: remote, requestID: id)
        request.pathParameters = [:]
        pending.append(.request(request, keepAlive: keepAlive))
        if !keepAlive { readingStopped = true }
        if pending.count - pendingIndex >= server.limits.maxPipelinedRequests { readPaused = true }
    }

    /// Un-pauses reading after the pipeline queue shrank: parses what is already buffered,
    /// then reads the socket again.
    func resumeReading() {
        readPaused = false
        if !input.isEmpty {
            let used = input.withUnsafeBytes { process($0) }
            input.removeFirst(used)
        }
        if !readPaused && !closed { readAvailable() }
    }

    /// The client closed (or reset) its side: drop everything, cancelling any running handler.
    private func peerClosed() {
        close()
    }

    /// While lingering after a final response, reads and discards until EOF.
    private func discardInput() {
        while !closed {
            switch readSome() {
            case .bytes: continue
            case .wouldBlock: return
            case .end: close(); return
            }
        }
    }

    /// Sets the epoll mask from the current state.
    func updateInterest() {
        guard !closed else { return }
        var wanted: UInt32 = Epoll.readHangup
        if lingering || (!readPaused && !readingStopped) { wanted |= Epoll.readable }
        if outputStart < output.count || tlsReadWantsWrite { wanted |= Epoll.writable }
        if wanted != interest {
            interest = wanted
            context.loop.modify(socket, events: wanted)
        }
    }

    /// Closes now: deregisters, frees TLS, closes the socket, cancels the handler Task and
    /// fails any waiting body writer. Idempotent.
    func close() {
        guard !closed else { return }
        closed = true
        context.loop.deregister(socket)
        tls?.free()
        socket.close()
        context.connections.removeValue(forKey: ObjectIdentifier(self))
        processing?.cancel()
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter(HTTPServerError.connectionClosed) }
        input = []
        output = []
        outputStart = 0
        pending = []
        pendingIndex = 0
        server.connectionEnded(remote: remote)
    }

    /// Server shutdown: close now if idle, otherwise finish the current request then close.
    func beginDrain() {
        readingStopped = true
        if processing == nil && pendingIndex == pending.count && outputStart == output.count {
            close()
        } else {
            closeAfterFlush = true
            updateInterest()
        }
    }

    /// Applies the timeout policy. Loop thread (timer tick).
    func checkTimeouts(now: UInt64) {
        guard !closed else { return }
        let busy = processing != nil || pendingIndex < pending.count
        switch timeouts.action(now: now, busy: busy) {
        case .none: break
        case .close, .abort: close()
        case .requestTimeout:
            readingStopped = true
            timeouts.headStartedAt = nil
            timeouts.bodyStartedAt = nil
            pending.append(.reject(.requestTimeout, reason: "request not received in time"))
            startProcessingIfNeeded()
        }
    }
}
