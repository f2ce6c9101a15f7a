import Dispatch

/// Accepts connections on the listener (on loop 0) and hands them to loops round-robin, applying
/// the connection limits: a client over `maxConnectionsPerClient` gets a 503; at `maxConnections`
/// the keep-alive connection idle the longest (on any loop) is closed to make room, and only when
/// none is idle does the newcomer get a 503 (or wait in the backlog).
final class Acceptor: EventHandler, @unchecked Sendable {  // touched only on loop 0's thread
    let listener: Listener
    let contexts: [LoopContext]
    let core: ServerCore
    private var next = 0
    private(set) var paused = false
    private(set) var closed = false

    init(listener: Listener, contexts: [LoopContext], core: ServerCore) {
        self.listener = listener
        self.contexts = contexts
        self.core = core
    }

    var loop: EventLoop { contexts[0].loop }

    /// What becomes of an accepted connection.
    private enum Admission {
        case admit
        /// The server is full: close that loop's longest-idle keep-alive connection first.
        case closeIdle
        /// 503: the server is full and no connection is idle.
        case overCapacity
        /// 503: the client already has `maxConnectionsPerClient` open.
        case clientOverLimit
    }

    /// The loop whose idle keep-alive connection has been idle the longest, if any is.
    private func loopWithLongestIdle() -> LoopContext? {
        var best: (context: LoopContext, since: UInt64)?
        for context in contexts {
            let since = context.oldestIdleSince.load(ordering: .relaxed)
            if since != 0 && since < (best?.since ?? .max) { best = (context, since) }
        }
        return best?.context
    }

    func handleEvent(_ events: UInt32) {
        let limits = core.limits
        for _ in 0..<256 where !closed && !paused {
            if !limits.rejectOverCapacity && core.connectionCount >= limits.maxConnections && loopWithLongestIdle() == nil {
                pause()
                return
            }
            let accepted: (socket: Socket, remote: String, host: String)?
            do {
                accepted = try listener.accept()
            } catch {
                // EMFILE/ENFILE and friends: back off until the next timer tick instead of spinning.
                core.logger.warning("accept failed", metadata: ["error": "\(error)"])
                pause()
                loop.execute { [self] in resumeSoon() }
                return
            }
            guard let (socket, remote, client) = accepted else { return }
            let before = core.connectionStarted(client: client)
            var context = contexts[next % contexts.count]
            next &+= 1
            let admission: Admission
            if limits.maxConnectionsPerClient > 0 && before.client >= limits.maxConnectionsPerClient {
                admission = .clientOverLimit
            } else if before.total < limits.maxConnections {
                admission = .admit
            } else if let idle = loopWithLongestIdle() {
                // The new connection joins the loop that frees its place.
                context = idle
                admission = .closeIdle
            } else {
                admission = .overCapacity
            }
            try? socket.setNoDelay()
            let tlsContext = core.tlsContext
            // The socket moves to the connection's loop; from here on the connection owns it.
            context.loop.execute { [context] in
                var admission = admission
                // The idle connection may have become busy meanwhile: then the server is full.
                if admission == .closeIdle && !context.closeLongestIdle() { admission = .overCapacity }
                let session = tlsContext?.makeSession(socket: socket)
                if tlsContext != nil && session == nil {
                    socket.close()
                    context.server.connectionEnded(remote: remote, client: client)
                    return
                }
                let connection = Connection(context: context, socket: socket, remote: remote, client: client, tls: session)
                connection.start()
                switch admission {
                case .admit, .closeIdle:
                    context.server.emit(.connectionOpened(remoteAddress: remote))
                case .overCapacity:
                    context.server.emit(.overCapacity(remoteAddress: remote))
                    connection.rejectImmediately(.serviceUnavailable, reason: "server at connection capacity")
                case .clientOverLimit:
                    context.server.emit(.clientOverLimit(remoteAddress: remote))
                    connection.rejectImmediately(.serviceUnavailable, reason: "too many connections from this client")
                }
            }
        }
    }

    private func pause() {
        guard !paused, !closed else { return }
        paused = true
        loop.modify(listener.socket, events: 0)
    }

    /// Re-enables accepting (loop 0).
    func resume() {
        guard paused, !closed else { return }
        paused = false
        loop.modify(listener.socket, events: Epoll.readable)
    }

    private func resumeSoon() {
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
            loop.execute { self.resume() }
        }
    }

    /// Stops accepting and closes the listening socket (loop 0).
    func close() {
        guard !closed else { return }
        closed = true
        loop.deregister(listener.socket)
        listener.socket.close()
    }
}
