import Foundation
import Logging

/// State shared by the listener and every loop: configuration, responder, connection counts
/// (in all and per client address).
final class ServerCore: @unchecked Sendable {  // immutable but the counters guarded by `lock`
    let limits: HTTPLimits
    let responder: any HTTPResponder
    let logger: Logger
    let clock: @Sendable () -> UInt64
    /// With an injected clock, the longest a loop sleeps before re-reading it (ms); nil with the
    /// system clock, whose deadlines a loop can sleep until.
    let clockPollMillis: Int32?
    let onEvent: (@Sendable (HTTPServerEvent) -> Void)?
    let tlsContext: TLSContext?
    let renderError: HTTPErrorRenderer
    private let lock = NSLock()
    private var openConnections = 0
    /// Open connections per client address (IP without port); entries at 0 are removed.
    private var perClient: [String: Int] = [:]
    private var draining = false
    /// Suspended `waitUntilNoConnections` callers.
    private var noConnectionWaiters: [CheckedContinuation<Void, Never>] = []
    /// Called when a connection closes while the listener is paused at capacity.
    var onCapacityFreed: (@Sendable () -> Void)?

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger, tls: TLSContext?) {
        limits = configuration.limits
        self.responder = responder
        self.logger = logger
        clock = configuration.clock ?? { EventLoop.monotonicNanos() }
        clockPollMillis = configuration.clock == nil ? nil : Int32(clamping: max(1, configuration.timerResolution.nanoseconds / 1_000_000))
        onEvent = configuration.onEvent
        tlsContext = tls
        renderError = configuration.renderError
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

    /// Counts a new connection from `client`; returns the counts before it (all connections,
    /// and that client's).
    func connectionStarted(client: String) -> (total: Int, client: Int) {
        lock.lock()
        defer { lock.unlock() }
        openConnections += 1
        let before = perClient[client, default: 0]
        perClient[client] = before + 1
        return (openConnections - 1, before)
    }

    func connectionEnded(remote: String, client: String) {
        lock.lock()
        openConnections -= 1
        if let n = perClient[client] { perClient[client] = n > 1 ? n - 1 : nil }
        let freed = openConnections < limits.maxConnections ? onCapacityFreed : nil
        var waiters: [CheckedContinuation<Void, Never>] = []
        if openConnections == 0 { swap(&waiters, &noConnectionWaiters) }
        lock.unlock()
        emit(.connectionClosed(remoteAddress: remote))
        freed?()
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends until no connection is open (or `releaseConnectionWaiters` is called).
    func waitUntilNoConnections() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle: Bool = lock.withLock {
                if openConnections == 0 { return true }
                noConnectionWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Resumes every `waitUntilNoConnections` caller now (the drain deadline passed).
    func releaseConnectionWaiters() {
        var waiters: [CheckedContinuation<Void, Never>] = []
        lock.withLock { swap(&waiters, &noConnectionWaiters) }
        for waiter in waiters { waiter.resume() }
    }

    func emit(_ event: HTTPServerEvent) {
        onEvent?(event)
    }
}
