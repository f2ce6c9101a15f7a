import Foundation
import Logging

/// An HTTP/1.1 (optionally TLS) server on non-blocking sockets and epoll event loops.
///
/// `workerCount` loop threads each own a share of the connections; each connection answers its
/// requests in order from one Swift Task that prefers its loop as executor, and that Task is
/// cancelled when the client disconnects. See `HTTPLimits` for every limit.
package final class HTTPServer: @unchecked Sendable {  // mutable state guarded by `lock`
    private enum State {
        case idle
        /// `start()` is binding and registering the listener.
        case starting
        case running(Acceptor)
        case stopping
        case stopped
    }

    private let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let lock = NSLock()
    private var state = State.idle
    private var core: ServerCore?
    private var contexts: [LoopContext] = []
    private var port = 0
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    package init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    /// The bound port (the ephemeral one when configured with port 0); 0 before `start()`.
    package var boundPort: Int {
        lock.lock()
        defer { lock.unlock() }
        return port
    }

    /// Connections currently open.
    package var openConnectionCount: Int { core?.connectionCount ?? 0 }

    /// Loads TLS material, binds, and starts the loops; returns once accepting. Suspends (never
    /// blocks its thread) while loop 0 registers the listener.
    /// - Throws: `SocketError` (bind/listen), `HTTPServerError.tls`, `.alreadyStarted`.
    package func start() async throws {
        try lock.withLock {
            guard case .idle = state else { throw HTTPServerError.alreadyStarted }
            state = .starting
        }
        let listener: Listener
        let tls: TLSContext?
        do {
            tls = try configuration.tls.map { (t) throws(HTTPServerError) in try TLSContext(t) }
            listener = try Listener(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        } catch {
            lock.withLock { state = .idle }
            throw error
        }
        let core = ServerCore(configuration: configuration, responder: responder, logger: logger, tls: tls)
        var contexts: [LoopContext] = []
        do {
            for i in 0..<max(1, configuration.workerCount) {
                let loop = try EventLoop(index: i)
                let context = LoopContext(loop: loop, server: core)
                loop.runTimers = { [unowned context] in context.runTimers() }
                contexts.append(context)
            }
        } catch {
            listener.socket.close()
            lock.withLock { state = .idle }
            throw error
        }
        let acceptor = Acceptor(listener: listener, contexts: contexts, core: core)
        if !configuration.limits.rejectOverCapacity {
            core.onCapacityFreed = { [weak acceptor] in
                guard let acceptor else { return }
                acceptor.loop.execute { acceptor.resume() }
            }
        }
        for context in contexts { context.loop.start() }
        let registerError: (any Error)? = await withCheckedContinuation { continuation in
            acceptor.loop.execute {
                do {
                    try acceptor.loop.register(listener.socket, events: Epoll.readable, handler: acceptor)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            }
        }
        let startedContexts = contexts
        lock.withLock {
            self.core = core
            self.contexts = startedContexts
            self.port = listener.port
            state = registerError == nil ? .running(acceptor) : .stopped
        }
        if let registerError {
            for context in contexts { context.loop.stop() }
            contexts[0].loop.execute { acceptor.close() }
            throw registerError
        }
        logger.info(
            "HTTP server listening",
            metadata: ["host": "\(configuration.host)", "port": "\(listener.port)", "tls": "\(tls != nil)",
                       "loops": "\(contexts.count)"])
    }

    /// Graceful shutdown: close idle connections, let in-flight requests finish (their responses
    /// carry `Connection: close`) until `drainDeadline`, then stop accepting, close the rest
    /// (cancelling their handlers) and stop the loops. Connections accepted during the drain get
    /// one response each (health and readiness probes keep working). Safe to call more than once.
    /// - Parameters:
    ///   - drainBegan: runs once the drain has begun, before idle connections close: a
    ///     connection accepted after it is served, so a readiness change made in it is seen by
    ///     every later probe.
    ///   - deadlinePassed: runs when the deadline passes with requests still in flight, before
    ///     any connection is closed: the place to end them with a response of their own (an
    ///     error event for a stream). Connections still open `cutGrace` later are closed.
    package func shutdown(
        drainDeadline: Duration, drainBegan: @Sendable () -> Void = {},
        deadlinePassed: @Sendable () async -> Void = {}, cutGrace: Duration = .seconds(2)
    ) async {
        enum Step { case drain(Acceptor, ServerCore, [LoopContext]), stopNow, wait }
        let step: Step = lock.withLock {
            switch state {
            case .running(let acceptor):
                state = .stopping
                return .drain(acceptor, core!, contexts)
            case .idle:
                state = .stopped
                return .stopNow
            case .starting, .stopping, .stopped:
                return .wait
            }
        }
        guard case .drain(let acceptor, let core, let contexts) = step else {
            if case .stopNow = step { finishStop() } else { await waitUntilStopped() }
            return
        }

        core.beginDraining()
        drainBegan()
        for context in contexts {
            await context.loop.submitAndWait {
                for connection in Array(context.connections.values) { connection.beginDrain() }
            }
        }
        // Whichever comes first: the last connection closing, or the deadline; past the
        // deadline, the owner ends what is still running and gets a short grace to answer.
        if await !Self.noConnections(core, within: drainDeadline) {
            await deadlinePassed()
            _ = await Self.noConnections(core, within: cutGrace)
        }
        await acceptor.loop.submitAndWait { acceptor.close() }
        for context in contexts {
            await context.loop.submitAndWait {
                for connection in Array(context.connections.values) { connection.close() }
            }
        }
        for context in contexts {
            context.loop.stop()
            await context.loop.waitUntilExited()
        }
        logger.info("HTTP server stopped", metadata: ["port": "\(port)"])
        lock.withLock { state = .stopped }
        finishStop()
    }

    /// Whether every connection closed before `limit` passed.
    private static func noConnections(_ core: ServerCore, within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await core.waitUntilNoConnections()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let idle = await group.next() ?? false
            group.cancelAll()
            core.releaseConnectionWaiters()
            return idle
        }
    }

    /// Suspends until `shutdown` has finished.
    package func waitUntilStopped() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done: Bool = lock.withLock {
                if case .stopped = state { return true }
                stopWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    private func finishStop() {
        let waiters = lock.withLock {
            let w = stopWaiters
            stopWaiters = []
            return w
        }
        for w in waiters { w.resume() }
    }
}
