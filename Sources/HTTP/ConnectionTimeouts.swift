/// What a connection should do about time passing (pure; tested with a manual clock).
package enum TimeoutAction: Equatable, Sendable {
    case none
    /// Send 408 and close (slow head or body).
    case requestTimeout
    /// Close silently (idle keep-alive, a connection that never sent a byte or never finished its
    /// TLS handshake, or a lingering close that took too long).
    case close
    /// Drop the connection (a write made no progress).
    case abort
}

/// The timing facts of one connection; all instants are clock nanoseconds.
package struct ConnectionTimeouts: Sendable {
    package var limits: HTTPLimits
    /// Longest time a closing connection keeps draining the peer's input.
    package var lingerNanos: UInt64 = 2_000_000_000

    /// Start of a TLS handshake still under way, if any (accept).
    package var handshakeStartedAt: UInt64?
    /// Start of the wait for an incomplete request head, if any: accept (or the end of the TLS
    /// handshake) for the first request, the first byte for later ones.
    package var headStartedAt: UInt64?
    /// The connection has sent nothing since `headStartedAt` was set at accept: a late head
    /// closes it silently instead of answering 408.
    package var silentSinceAccept = false
    /// Completion of the head whose body is still incomplete, if any.
    package var bodyStartedAt: UInt64?
    /// The last read or write progress.
    package var lastActivity: UInt64
    /// When pending output stopped making progress, if it has.
    package var writeStalledSince: UInt64?
    /// When the connection started its lingering close, if it has.
    package var lingerStartedAt: UInt64?

    package init(limits: HTTPLimits, now: UInt64) {
        self.limits = limits
        self.lastActivity = now
    }

    /// The action due at `now`; `busy` means a request is being answered (read timeouts wait).
    package func action(now: UInt64, busy: Bool) -> TimeoutAction {
        if let t = lingerStartedAt { return now &- t > lingerNanos ? .close : .none }
        if let t = handshakeStartedAt { return now &- t > limits.tlsHandshakeTimeout.nanoseconds ? .close : .none }
        if let t = writeStalledSince, now &- t > limits.writeTimeout.nanoseconds { return .abort }
        if busy { return .none }
        if let t = bodyStartedAt, now &- t > limits.bodyReadTimeout.nanoseconds { return .requestTimeout }
        if let t = headStartedAt, now &- t > limits.headerReadTimeout.nanoseconds {
            return silentSinceAccept ? .close : .requestTimeout
        }
        if headStartedAt == nil && bodyStartedAt == nil && now &- lastActivity > limits.idleTimeout.nanoseconds {
            return .close
        }
        return .none
    }

    /// The first instant at which `action(now:busy:)` is no longer `.none` with the facts as they
    /// are, or nil when no timeout is running (a request is being answered and output flows).
    package func nextDeadline(busy: Bool) -> UInt64? {
        // `action` fires once strictly more than the timeout has passed, hence the + 1.
        func after(_ start: UInt64, _ nanos: UInt64) -> UInt64 { start &+ nanos &+ 1 }
        if let t = lingerStartedAt { return after(t, lingerNanos) }
        if let t = handshakeStartedAt { return after(t, limits.tlsHandshakeTimeout.nanoseconds) }
        var due = writeStalledSince.map { after($0, limits.writeTimeout.nanoseconds) }
        func earliest(_ d: UInt64) { due = min(due ?? d, d) }
        if !busy {
            if let t = bodyStartedAt { earliest(after(t, limits.bodyReadTimeout.nanoseconds)) }
            if let t = headStartedAt { earliest(after(t, limits.headerReadTimeout.nanoseconds)) }
            if headStartedAt == nil && bodyStartedAt == nil { earliest(after(lastActivity, limits.idleTimeout.nanoseconds)) }
        }
        return due
    }
}
