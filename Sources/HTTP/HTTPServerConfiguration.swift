import Foundation

/// Something that happened at the connection level, for metrics and logs.
package enum HTTPServerEvent: Sendable, Equatable {
    case connectionOpened(remoteAddress: String)
    case connectionClosed(remoteAddress: String)
    /// The server answered by itself with an error status (400, 408, 413, 431, 501, 505) and
    /// closed the connection.
    case rejected(status: HTTPStatus, reason: String, remoteAddress: String, requestID: String)
    /// A connection arrived while `maxConnections` were open, none of them idle, and got a 503.
    case overCapacity(remoteAddress: String)
    /// A connection arrived while its client address had `maxConnectionsPerClient` open and
    /// got a 503.
    case clientOverLimit(remoteAddress: String)
    /// An idle keep-alive connection was closed to make room for a new one (`maxConnections`
    /// reached; the one idle the longest goes first).
    case idleClosedForRoom(remoteAddress: String)
}

/// Everything `HTTPServer` needs to know before `start()`.
package struct HTTPServerConfiguration: Sendable {
    /// Address to bind: "127.0.0.1", "::1", "0.0.0.0", "::" or a host name.
    package var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free one (read it back from `HTTPServer.boundPort`).
    package var port: Int = 0
    package var limits = HTTPLimits()
    /// Serve HTTPS with these PEM files instead of plain HTTP.
    package var tls: TLSConfiguration?
    /// Event-loop threads (each owns a share of the connections).
    package var workerCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// listen(2) backlog.
    package var backlog: Int32 = 1024
    /// Called (from event-loop threads; keep it cheap) for connection-level events.
    package var onEvent: (@Sendable (HTTPServerEvent) -> Void)?
    /// Writes the server's own rejections (400/408/413/431/501/505, 503 at capacity); the
    /// application supplies its error format here (the default is plain text).
    package var renderError: HTTPErrorRenderer = HTTPResponse.plainTextError
    /// Monotonic time in nanoseconds for all timeouts; nil is the system's monotonic clock.
    /// Injectable for tests.
    package var clock: (@Sendable () -> UInt64)?
    /// With an injected `clock` only: how often each loop re-reads it to fire due timers (a loop
    /// cannot know when a test moves it). With the system clock a loop sleeps exactly until its
    /// next deadline.
    package var timerResolution: Duration = .milliseconds(100)

    package init(host: String = "127.0.0.1", port: Int = 0, limits: HTTPLimits = HTTPLimits(), tls: TLSConfiguration? = nil) {
        self.host = host
        self.port = port
        self.limits = limits
        self.tls = tls
    }
}
