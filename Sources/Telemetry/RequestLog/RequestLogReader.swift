import Foundation
import Synchronization

/// A thread-safe read connection to the request log, for `GET /admin/requests` while the writer
/// runs (WAL lets readers and the writer proceed together) and for the CLI.
package final class RequestLogReader: Sendable {
    private let database: Mutex<RequestLogDatabase>

    /// Opens an existing log (never creates one).
    /// - Throws: `RequestLogError.missingDatabase`, `.unreadable`, `.schemaTooNew`.
    package init(path: String) throws {
        database = Mutex(try RequestLogDatabase(path: path, create: false))
    }

    /// Requests matching `query`, newest first.
    /// - Throws: `RequestLogError.unreadable` if SQLite fails (corruption, I/O).
    package func requests(matching query: RequestQuery) throws -> [RequestRecord] {
        try read { try $0.requests(matching: query) }
    }

    /// Stats over requests matching `query` (its limit is ignored).
    package func stats(matching query: RequestQuery) throws -> RequestStats {
        try read { try $0.stats(matching: query) }
    }

    /// What stats need of each request matching `query` (its limit is ignored).
    package func statsSamples(matching query: RequestQuery) throws -> [RequestStats.Sample] {
        try read { try $0.statsSamples(matching: query) }
    }

    /// Model events since `since` (unix seconds), oldest first.
    package func modelEvents(since: Double? = nil) throws -> [ModelEvent] {
        try read { try $0.modelEvents(since: since) }
    }

    /// Metric samples for `name` (or all) since `since`, oldest first.
    package func metricSamples(name: String? = nil, since: Double? = nil) throws -> [MetricSample] {
        try read { try $0.metricSamples(name: name, since: since) }
    }

    package func close() { database.withLock { $0.close() } }

    private func read<T: Sendable>(_ body: (RequestLogDatabase) throws -> T) throws -> T {
        try database.withLock { database throws in
            do {
                return try body(database)
            } catch let error as SQLiteError {
                throw RequestLogError.unreadable(path: database.database.path, underlying: error)
            }
        }
    }
}
