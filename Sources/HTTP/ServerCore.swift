import Foundation
import Logging

/// State shared by the listener and every loop: configuration, responder, connection count.
final class ServerCore: @unchecked Sendable {
    let limits: HTTPLimits
    let responder: any HTTPResponder
    let logger: Logger
    let clock: @Sendable () -> UInt64
    let onEvent: (@Sendable (HTTPServerEvent) -> Void)?
    let tlsContext: TLSContext?
    private let lock = NSLock()
    private var openConnections = 0
    private var draining = false
    /// Called when a connection closes while the listener is paused at capacity.
    var onCapacityFreed: (@Sendable () -> Void)?

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger, tls: TLSContext?) {
        limits = configuration.limits
        self.responder = responder
        self.logger = logger
        clock = configuration.clock
        onEvent = configuration.onEvent
        tlsContext = tls
    }

    var isDraining: Bool {
        lock.lock()
        defer { lock.unlock() }
        return draining
    }

    func beginDraining() {
        lock.lock()
        draining = true
        lock.unlock()
    }

    var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return openConnections
    }

    /// Counts a new connection; returns the count before it.
    func connectionStarted() -> Int {
        lock.lock()
        defer { lock.unlock() }
        openConnections += 1
        return openConnections - 1
    }

    func connectionEnded(remote: String) {
        lock.lock()
        openConnections -= 1
        let freed = openConnections < limits.maxConnections ? onCapacityFreed : nil
        lock.unlock()
        emit(.connectionClosed(remoteAddress: remote))
        freed?()
    }

    func emit(_ event: HTTPServerEvent) {
        onEvent?(event)
    }
}

/// Accepts connections on the listener (on loop 0) and hands them to loops round-robin.
final class Acceptor: EventHandler, @unchecked Sendable {
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
            let accepted: (fd: Int32, remote: String)?
            do {
                accepted = try listener.accept()
            } catch {
                // EMFILE/ENFILE and friends: back off until the next timer tick instead of spinning.
                core.logger.warning("accept failed", metadata: ["error": "\(error)"])
                pause()
                loop.execute { [self] in resumeSoon() }
                return
            }
            guard let (fd, remote) = accepted else { return }
            let before = core.connectionStarted()
            let overCapacity = before >= core.limits.maxConnections
            let socket = Socket(descriptor: fd)
            try? socket.setNoDelay()
            _ = socket.descriptor
            socket.forget()
            let context = contexts[next % contexts.count]
            next &+= 1
            let tlsContext = core.tlsContext
            context.loop.execute {
                let session = tlsContext?.makeSession(fd: fd)
                if tlsContext != nil && session == nil {
                    Syscalls.close(fd)
                    context.server.connectionEnded(remote: remote)
                    return
                }
                let connection = Connection(context: context, fd: fd, remote: remote, tls: session)
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
        loop.modify(listener.socket.descriptor, events: 0)
    }

    /// Re-enables accepting (loop 0).
    func resume() {
        guard paused, !closed else { return }
        paused = false
        loop.modify(listener.socket.descriptor, events: Epoll.readable)
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
        loop.deregister(listener.socket.descriptor)
        listener.socket.close()
    }
}
