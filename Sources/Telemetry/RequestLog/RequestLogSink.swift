import Foundation

/// Where request records go. `record(_:)` must never block request handling.
package protocol RequestLogSink: Sendable {
    /// Hands one record to the sink; returns at once (it may drop the record if full).
    func record(_ record: RequestRecord)
}
