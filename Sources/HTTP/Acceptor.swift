import Dispatch

/// Accepts connections on the listener (on loop 0) and hands them to loops round-robin.
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

    func handleEvent(_ events: UInt32) {
        for _ in 0..<256 where !closed && !paused {
            if !core.limits.rejectOverCapacity && core.connectionCount >= core.limits.maxConnections {
                pause()
                return
            }
            let accepted: (socket: Socket, remote: String)?
            do {
                accepted = try listener.accept()
            } catch {
                // EMFILE/ENFILE and friends: back off until the next timer tick instead of spinning.
                core.logger.warning("accept failed", metadata: ["error": "\(error)"])
                pause()
                loop.execute { [self] in resumeSoon() }
                return
            }
            guard let (socket, remote) = accepted else { return }
            let before = core.connectionStarted()
            let overCapacity = before >= core.limits.maxConnections
            try? socket.setNoDelay()
            let context = contexts[next % contexts.count]
            next &+= 1
            let tlsContext = core.tlsContext
            // The socket moves to the connection's loop; from here on the connection owns it.
            context.loop.execute {
                let session = tlsContext?.makeSession(socket: socket)
                if tlsContext != nil && session == nil {
                    socket.close()
                    context.server.connectionEnded(remote: remote)
                    return
                }
                let connection = Connection(context: context, socket: socket, remote: remote, tls: session)
                connection.start()
                if overCapacity {
                    context.server.emit(.overCapacity(remoteAddress: remote))
                    connection.rejectImmediately(.serviceUnavailable, reason: "server at connection capacity")
                } else {
                    context.server.emit(.connectionOpened(remoteAddress: remote))
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
