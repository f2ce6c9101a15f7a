#if canImport(Glibc)
import Glibc
#endif

/// One client connection: performs what its `ConnectionStateMachine` decides. It owns the
/// socket, the TLS session, the input and output buffers and the Task that answers requests in
/// order (running on the connection's event loop); the protocol logic (keep-alive, pipelining,
/// timeouts, rejections, drain, lingering close) is the machine's.
///
/// Everything here runs on `context.loop`'s thread (the Task has that loop as its executor
/// preference), so there are no locks.
final class Connection: EventHandler, @unchecked Sendable {  // touched only on its loop's thread
    let context: LoopContext
    /// Owns the descriptor; the connection closes it once, in `close()`.
    let socket: Socket
    let remote: String
    /// The client's address without the port (what the per-client connection limit counts).
    let client: String
    let tls: TLSSession?
    var server: ServerCore { context.server }

    var machine: ConnectionStateMachine
    /// Bytes read but not yet parsed (a partial request, or input held while paused).
    var input: [UInt8] = []
    /// A TLS read needs the socket writable first.
    var tlsReadWantsWrite = false
    var processing: Task<Void, Never>?

    // Output.
    var output: [UInt8] = []
    var outputStart = 0
    /// Called once buffered output falls to half the watermark (nil) or the connection closes.
    var drainWaiters: [((any Error)?) -> Void] = []
    var interest: UInt32 = 0

    /// The generation of this connection's armed timer in its loop's timer heap.
    var timerGeneration: UInt64 = 0
    /// While idle between requests: when that began (0 otherwise), and the neighbours in the
    /// loop's idle list (`LoopContext.markIdle`).
    var idleSince: UInt64 = 0
    var idlePrevious: Connection?
    var idleNext: Connection?

    var closed: Bool { machine.isClosed }

    init(context: LoopContext, socket: Socket, remote: String, client: String, tls: TLSSession?) {
        self.context = context
        self.socket = socket
        self.remote = remote
        self.client = client
        self.tls = tls
        self.machine = ConnectionStateMachine(
            limits: context.server.limits, remote: remote, now: context.server.clock(), handshaking: tls != nil)
    }

    /// Registers with the loop and starts reading. Loop thread.
    func start() {
        interest = Epoll.readable | Epoll.readHangup
        do {
            try context.loop.register(socket, events: interest, handler: self)
        } catch {
            tls?.free()
            socket.close()
            server.connectionEnded(remote: remote, client: client)
            return
        }
        context.connections[ObjectIdentifier(self)] = self
        perform(machine.opened())
        // A connection accepted during a drain (a load balancer's probe) is served: its response
        // carries `Connection: close` (`keepsAlive` sees the drain), then it closes.
    }

    func handleEvent(_ events: UInt32) {
        if events & Epoll.writable != 0 {
            flush()
            if tlsReadWantsWrite && !closed { readAvailable() }
        }
        if events & (Epoll.readable | Epoll.readHangup | Epoll.hangup | Epoll.error) != 0 && !closed {
            if machine.isLingering {
                discardInput()
            } else if !machine.isReading {
                // Not reading, so this is the peer going away: treat as a disconnect.
                if events & (Epoll.readHangup | Epoll.hangup | Epoll.error) != 0 { perform(machine.peerClosed()) }
            } else {
                readAvailable()
            }
        }
        updateIdleState()
    }

    /// Enters or leaves the loop's idle list as the connection waits for a request or not.
    func updateIdleState() {
        let idle = !closed && machine.isIdleKeepAlive && input.isEmpty && outputStart == output.count
        if idle && idleSince == 0 {
            context.markIdle(self, since: machine.timeouts.lastActivity)
        } else if !idle && idleSince != 0 {
            context.unmarkIdle(self)
        }
    }

    /// Does what the state machine decided, in order.
    func perform(_ actions: [ConnectionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .write(let bytes): bytes.withUnsafeBytes { send($0) }
            case .dispatch: startProcessing()
            case .pauseReading: updateInterest()
            case .resumeReading: resumeReading()
            case .halfClose: halfClose()
            case .close: close()
            case .armTimer(let deadline): context.armTimer(self, at: deadline)
            }
        }
    }

    /// Reads until the socket would block, parsing as bytes arrive.
    func readAvailable() {
        tlsReadWantsWrite = false
        while machine.isReading {
            let n: Int
            let outcome = readSome()
            if let tls, machine.isHandshaking, tls.isHandshakeComplete {
                perform(machine.handshakeCompleted(now: server.clock()))
            }
            switch outcome {
            case .bytes(let count): n = count
            case .wouldBlock: updateInterest(); return
            case .end: perform(machine.peerClosed()); return
            }
            let scratch = context.scratch
            if input.isEmpty {
                let used = process(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                if used < n && !closed { input.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[used..<n])) }
            } else {
                input.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                let used = input.withUnsafeBytes { process($0) }
                if !closed { input.removeFirst(used) }
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

    /// Feeds `buffer` to the state machine and performs its actions; returns how many bytes
    /// were consumed.
    private func process(_ buffer: UnsafeRawBufferPointer) -> Int {
        let context = self.context
        let (used, actions) = machine.bytesRead(buffer, now: server.clock(), newRequestID: { context.nextRequestID() })
        perform(actions)
        return used
    }

    /// Un-pauses reading after the pipeline queue shrank: parses what is already buffered,
    /// then reads the socket again.
    func resumeReading() {
        if !input.isEmpty {
            let used = input.withUnsafeBytes { process($0) }
            if !closed { input.removeFirst(used) }
        }
        if machine.isReading { readAvailable() }
    }

    /// While lingering after a final response, reads and discards until EOF.
    private func discardInput() {
        while !closed {
            switch readSome() {
            case .bytes: continue
            case .wouldBlock: return
            case .end: perform(machine.peerClosed()); return
            }
        }
    }

    /// Sets the epoll mask from the current state.
    func updateInterest() {
        guard !closed else { return }
        var wanted: UInt32 = Epoll.readHangup
        if machine.wantsReadable { wanted |= Epoll.readable }
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
        machine.closed()
        context.unmarkIdle(self)
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
        server.connectionEnded(remote: remote, client: client)
    }

    /// Server shutdown: close now if idle, otherwise finish the current request then close.
    func beginDrain() {
        perform(machine.drain(outputPending: bufferedOutput > 0))
        updateInterest()
    }

    /// Applies the timeout policy. Loop thread (its armed timer is due).
    func timerFired(now: UInt64) {
        perform(machine.timerFired(now: now))
        updateInterest()
    }
}
