/// Every limit the server enforces, with the status each produces.
package struct HTTPLimits: Sendable {
    /// Longest request line in bytes (431 when exceeded).
    package var maxRequestLineLength: Int = 8 * 1024
    /// Largest request head (request line + all fields + trailers) in bytes (431).
    package var maxHeaderBytes: Int = 16 * 1024
    /// Most header fields in one request (431).
    package var maxHeaderCount: Int = 100
    /// Largest request body in bytes, after de-chunking (413).
    package var maxBodyBytes: Int = 8 * 1024 * 1024
    /// Time allowed for a request head: for a connection's first request from accept (from the
    /// end of the TLS handshake), for later ones from their first byte. A head that is late gets
    /// 408, then close; a connection that has sent nothing at all is closed silently.
    package var headerReadTimeout: Duration = .seconds(10)
    /// Time from accept until the TLS handshake completes (closed silently beyond it).
    package var tlsHandshakeTimeout: Duration = .seconds(10)
    /// Time from a request's head until its body is complete (408, then close).
    package var bodyReadTimeout: Duration = .seconds(30)
    /// How long an idle keep-alive connection stays open (closed silently).
    package var idleTimeout: Duration = .seconds(60)
    /// How long a response write may make no progress before the connection is dropped.
    package var writeTimeout: Duration = .seconds(30)
    /// Most open connections. At the limit the keep-alive connection idle the longest is closed
    /// to make room; with none idle, new ones get a 503 (or wait in the backlog, see below).
    package var maxConnections: Int = 10_000
    /// Most open connections from one client address (the IP, any port); beyond it that client's
    /// new connections get a 503 whatever the rest of the server does. 0 = no limit.
    package var maxConnectionsPerClient: Int = 0
    /// When at `maxConnections`: true answers 503 and closes; false stops accepting so new
    /// connections wait in the kernel backlog.
    package var rejectOverCapacity: Bool = true
    /// Requests served on one connection before it is closed (`Connection: close`).
    package var maxRequestsPerConnection: Int = 10_000
    /// Pipelined requests buffered per connection before reading pauses.
    package var maxPipelinedRequests: Int = 64
    /// Buffered response bytes per connection above which stream writers wait.
    package var writeHighWatermark: Int = 256 * 1024

    package init() {}
}

extension Duration {
    /// Whole nanoseconds (negative durations clamp to 0).
    var nanoseconds: UInt64 {
        let (s, atto) = components
        if s < 0 { return 0 }
        return UInt64(s) * 1_000_000_000 + UInt64(atto / 1_000_000_000)
    }
}
