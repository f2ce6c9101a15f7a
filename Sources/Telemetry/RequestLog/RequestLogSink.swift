import Foundation

/// Where request records go. `record(_:)` must never block request handling.
package protocol RequestLogSink: Sendable {
    /// Hands one record to the sink; returns at once (it may drop the record if full).
    func record(_ record: RequestRecord)
}

/// A sink that keeps records in memory, for tests.
package final class InMemoryRequestLogSink: RequestLogSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [RequestRecord] = []

    package init() {}

    package func record(_ record: RequestRecord) {
        lock.withLock { stored.append(record) }
    }

    /// Everything recorded so far, in order.
    package var records: [RequestRecord] { lock.withLock { stored } }
}

/// A sink that discards everything (the store is off: `--db ''`).
package struct DiscardingRequestLogSink: RequestLogSink {
    package init() {}
    package func record(_ record: RequestRecord) {}
}
