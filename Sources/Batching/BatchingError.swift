/// Why the scheduler did not run a request to the end.
package enum BatchingError: Error, Equatable, Sendable {
    /// `max_queue_size` requests are already waiting (HTTP 503 with Retry-After).
    case queueFull(limit: Int)
    /// The request's deadline passed while it waited or ran (HTTP 504).
    case timedOut(milliseconds: Int)
    /// The scheduler is shutting down and takes no more work (HTTP 503).
    case shuttingDown
    /// The server's drain deadline passed while the request waited or ran: its work was cut
    /// off (HTTP 503; a stream already under way ends with an error event).
    case cutByShutdown
}
